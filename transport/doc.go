// Package transport is the Nacos v1 naming client the reactor beats through:
// a [reactor.Transport] on fasthttp.
//
// It speaks the wire format of the Nacos 1.4.x Java client
// (com.alibaba.nacos.client.naming.net.NamingProxy): beats are
// PUT {ContextPath}/v1/ns/instance/beat with the instance's identity in the
// query and, unless light, a form body beat=<BeatInfo JSON>; registrations
// are POST and DELETE {ContextPath}/v1/ns/instance. See encode.go for the
// exact bytes and where each choice comes from.
//
// Two modes carry beats:
//
//   - ModeHostClient sends beats one by one over a fasthttp.HostClient per
//     server: simple, one round trip per beat.
//   - ModePipeline keeps Config.Conns persistent connections per server,
//     each with one writer and one reader goroutine. A batch is split over
//     the connections; each connection writes its part back to back with one
//     write call and reads the answers in order (HTTP/1.1 pipelining). This
//     is the mode for hundreds of thousands of beats per second.
//
// Servers end connections: Tomcat, under Nacos 1.x, answers the 100th
// request on a connection with "Connection: close" and closes idle ones.
// ModePipeline sends what such a server did not answer once more on a new
// connection (beats are idempotent; RFC 7230 §6.3.2), learns the server's
// limit (Config.MaxRequestsPerConn), writes no more than that on a
// connection and dials the next one ahead. Client.Stats counts it.
//
// Register, Deregister and the Nacos login always use the HostClient.
// RegisterAll and DeregisterAll take a population at once: in ModePipeline
// they travel pipelined over the beats' connections, as beats do
// (registrations are idempotent too), bounded by MaxInflightPerConn and the
// server's per-connection limit; in ModeHostClient they call Register or
// Deregister for each.
//
// With Config.Username set the client logs in as the Java client's
// SecurityProxy does and refreshes its token in the background before it
// expires; failed logins back off (auth.go). After a connection error the
// client moves to the next server, at most once per
// Config.FailoverInterval (failover.go).
//
// A beat allocates nothing in steady state in ModePipeline, nor in
// ModeHostClient while a connection is free for it; when more goroutines
// send than it has connections, fasthttp's HostClient allocates about two
// objects per beat to queue the waiters (bench/: BenchmarkBeatThroughput).
package transport
