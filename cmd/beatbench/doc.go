// Command beatbench is a load tool for heartbeats, in the manner of wrk,
// hey and vegeta: it keeps N service instances beating against a Nacos v1
// registry (an embedded one by default), shows progress once a second and
// ends with a summary: beats expected, sent, delivered and failed by kind,
// send latency and lateness percentiles, CPU per beat, memory per instance
// and, with the embedded server, how many instances it holds healthy.
//
// # Commands
//
//	beatbench [run] [flags]         keep instances beating and report
//	beatbench serve [flags]         run the nacostest server standalone
//	beatbench merge [flags] FILE... add up the JSON reports of shard runs
//
// With no arguments, run starts an embedded server and keeps 100,000
// instances beating every 5 s for 27 s after adding them: about half a
// minute in all on a 2-core machine.
//
// # run
//
//	beatbench run [-instances 100000] [-services 1000] [-period 5s]
//	              [-duration 27s] [-ramp 0] [-server host:port[,host:port]]
//	              [-namespace id] [-username u -password p]
//	              [-mode pipeline|hostclient] [-conns n] [-senders n]
//	              [-scheduler wheel|russellluo] [-tick 10ms]
//	              [-transport nacos|noop|none]
//	              [-shard i/n] [-json FILE] [-min-delivered PCT]
//
// -transport nacos (the default) registers each instance and keeps it
// beating through the reactor and the HTTP transport, against -server or
// an embedded nacostest server; noop runs the whole reactor over a
// transport that sends nothing; none runs the beats straight on the
// scheduler. The last two measure the engine's own cost.
//
// The first beats are spread over one period. The summary covers the
// steady window: from one period after the last instance was added to the
// end (a shorter run says so and covers what it has). Send latency is
// per transport batch over the whole run. Ctrl-C (or SIGTERM) ends the run
// early and still prints the report, and writes -json, so far. Figures are
// measured as bench/ measures them (package internal/measure): CPU is the
// process's getrusage time, memory per instance is the heap after adding
// minus before, each after a GC; percentiles are within 1.6 %.
//
// Progress: on a terminal, one status line rewritten in place each second
// (instances up, beats/s, failures per second by kind, beats in flight,
// p99 send latency, p99 lateness, CPU, RSS); otherwise, as when piped into
// a file, one line per second under column heads.
//
// -shard i/n runs only instances i, i+n, i+2n, ... of the -instances
// (0 <= i < n), so n machines can load one registry together without two
// of them beating the same instance: give each machine the same flags and
// its own i. The report records the shard; merge adds the shards' JSON
// reports up.
//
// -min-delivered PCT fails the run (exit 3, one line on stderr) when fewer
// than PCT percent of the expected beats were delivered (accepted with
// code 10200) in the steady window, so beatbench can gate a pipeline.
//
// # serve
//
//	beatbench serve [-addr 127.0.0.1:8848] [-beat-interval 5s]
//	                [-unhealthy-after 15s] [-remove-after 30s]
//	                [-username u -password p] [-latency d] [-error-rate f]
//	                [-reset-rate f] [-malformed-rate f] [-duration d]
//
// Runs the nacostest Nacos v1 naming server, with fault injection, and
// prints its counters every second, until interrupted or -duration.
//
// # merge
//
//	beatbench merge [-json OUT] [-min-delivered PCT] FILE...
//
// Reads the JSON reports of the shards of one run, adds them up and prints
// the merged summary (and writes it to OUT). Counts, expected beats and
// CPU are summed and delivered % recomputed from the sums; a merged
// latency percentile is the largest of the shards' (an upper bound). Files
// that are unreadable, are not reports, or are not distinct shards of one
// run (instances, services, period, namespace, transport, shard count) are
// an error.
//
// # JSON report
//
// -json FILE writes the same report the summary shows, as JSON, schema
// version 1: {"schema": 1, "config": ..., "shards": [...], "start", "end",
// "window", "beats", "send_latency", "lateness", "cost", "registrations",
// "server", "problems"}. Durations are integer nanoseconds (names end in
// _ns). The schema, field by field, is the doc of package
// internal/report (go doc ./internal/report Report); testdata/
// report.golden.json is an example. The password is never in it.
//
// # Exit status
//
//	0  the run (or merge) finished, or was interrupted, and met -min-delivered
//	1  it failed: server unreachable, login refused, a write or a report
//	   file failed, report files do not match
//	2  bad command line: an unknown flag or command, a bad flag value
//	3  fewer beats delivered than -min-delivered asks
//
// Every error is one line on stderr, starting "beatbench: ".
package main
