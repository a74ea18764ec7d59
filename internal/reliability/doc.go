// Package reliability holds no library code: its tests run the whole stack
// (reactor.Reactor + transport.Client + nacostest.Server, in one process)
// through the faults a registry client meets in production, and fail if a
// reliability property breaks:
//
//   - TestServerRestart: the server forgets every instance; all come back
//     healthy within the re-registration budget, re-registrations never
//     exceed Config.ReregisterRate plus its burst, and the Reactor loses
//     nothing.
//   - TestServerDown: the server is gone for longer than its removal time,
//     then a new one starts on the same address; every instance returns,
//     failures are counted by kind, and while the server is down goroutines
//     and heap stay flat and the process does not spin.
//   - TestSlowAndBrokenServer: answers later than ReadTimeout, HTTP 5xx,
//     connection resets in the middle of pipelined batches, malformed and
//     oversized bodies; every failed beat is counted exactly once, the
//     server's counts agree with the client's, every instance beats again
//     once the faults clear, and the others keep their schedule.
//   - TestReregistrationMatchesServerCapacity: a server that takes only so
//     many registrations a second; the re-registration rate rises while
//     it keeps up, is halved when it answers 503, stays under its ceiling.
//   - TestRestartAtScale (long form only): the restart at a million
//     instances; 99.9 % registered again within two periods, heap back
//     within 10 %.
//   - TestSecretsNeverLeak and TestTLSEndToEnd: with Nacos auth, neither
//     the password nor any access token reaches a log record, an error or
//     Stats, whatever fails; and the Reactor works over TLS.
//
// The short forms run in `go test ./...`. The long forms (100k instances,
// longer phases) run with
//
//	go test ./internal/reliability -long -timeout 30m
//
// or with BEATWHEEL_LONG=1 in the environment. See the "Reliability"
// section of the repository's README.md.
package reliability
