// Package transporttest is the contract of reactor.Transport as tests: Run
// puts any implementation through them against transport/nacostest, an
// in-process Nacos 1.x naming server as harsh as a stock one (it ends each
// connection after 100 requests, as Tomcat does). transport.Client, in
// both of its modes, is held to the same tests.
//
// The contract is what the Reactor relies on:
//   - Register and Deregister do what Nacos' instance API does, and
//     succeed only on its answer "ok": the registered instance has b's
//     cluster, weight and metadata, and is ephemeral.
//   - SendBeats answers every beat in place: results[i] is beats[i]'s
//     answer, however many beats a batch holds and whatever the server's
//     connection limit; a light beat (no body) of an instance the server
//     does not know gets CodeNotFound (20404); a full beat registers it.
//   - An accepted beat's answer carries the server's clientBeatInterval
//     and lightBeatEnabled.
//   - Every failure is an Err, never a panic or a hang: an HTTP error
//     status, a body that is not a Nacos answer, a server that is down.
//     A deadline that passed is a timeout (context.DeadlineExceeded, or an
//     error whose Timeout method says true), and a refused or broken
//     connection is not: the Reactor answers the first by waiting and the
//     second by sending full beats for a period, which register the
//     instances again on a server that restarted empty.
//   - A cancelled ctx ends SendBeats, every beat not answered getting
//     ctx's error; the Transport is safe for concurrent use.
//
// To add a transport: implement the three methods of reactor.Transport,
// then call Run from a test with a Config whose New builds it. The
// package's own test does exactly that for a transport on net/http of
// about a hundred lines (http_test.go), which passes the contract. Run
// imports testing and is meant for _test.go files.
package transporttest
