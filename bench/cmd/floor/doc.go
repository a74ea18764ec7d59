// Command floor measures the least CPU a Go client spends per beat against
// a Nacos v1 server: the floor under beatwheel's own client, on this host,
// against this server.
//
// It sends one canned light beat (the bytes beatwheel sends for a light
// beat, for an instance the server does not know: it answers each with
// code 20404, which costs a client what an ok answer does) on -conns
// connections. Every -tick (a Reactor's, 50 ms) each connection sends its
// share of -rate, back to back in writes of at most -per-write beats, and
// reads the answers. It encodes nothing, schedules nothing and keeps no
// state per instance, and each connection is one goroutine that dials,
// writes, reads and closes in turn: what it spends is the network's price
// per beat, dialling included.
//
// When the server ends a connection (closes or resets it), floor dials
// again. When its last answer says "Connection: close", as Tomcat's does
// on a connection's 100th request, floor learns how many requests a
// connection carries, and from then on writes no more on one. So against
// a server with a limit it pays the dials and closes a real client pays;
// against one without, it keeps its connections.
//
// After -warmup it measures for -duration, then prints beats a second,
// connections dialled a second, the process's CPU (getrusage: every thread,
// the runtime's included; one core = 100 %), context switches a second,
// and CPU per answered beat, the figure to set beside beatbench's
// CPU/beat at the same rate:
//
//	beatbench serve -addr 127.0.0.1:18848 &
//	go run ./cmd/floor -server 127.0.0.1:18848 -rate 200000
//	beatbench -server 127.0.0.1:18848 -instances 1000000 -duration 30s
//
// (1M instances beating every 5 s is 200,000 beats a second.) Exit status:
// 0 ok, 1 the run failed (the server refused a dial, answered with
// something that is not HTTP, or ended three connections in a row before
// answering anything on them), 2 bad flags. A connection ended before an
// answer now and then is counted and printed; its beats go on the next.
package main
