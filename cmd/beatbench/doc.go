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
//	beatbench plot [flags] FILE...  draw JSON reports as one HTML page
//	beatbench help [COMMAND]        list the commands, or a command's flags
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
//	              [-scheduler wheel|russellluo] [-tick 50ms]
//	              [-transport nacos|noop|none]
//	              [-shard i/n|job/n] [-json FILE] [-html FILE]
//	              [-min-delivered PCT] [-keep]
//
// Every flag is checked before any work, and a bad one exits 2 naming it:
// -tick longer than -period or finer than the scheduler allows, -period
// outside the reactor's range (10ms to 1m), a -server port outside 1 to
// 65535, more -services than -instances (the default 1000 services shrink
// to -instances when fewer), -min-delivered with a -duration whose steady
// window would be shorter than two periods.
//
// -transport nacos (the default) registers each instance and keeps it
// beating through the reactor and the HTTP transport, against -server or
// an embedded nacostest server; noop runs the whole reactor over a
// transport that sends nothing; none runs the beats straight on the
// scheduler. The last two measure the engine's own cost.
//
// The period in effect is the server's: like a Nacos client, the reactor
// adopts the clientBeatInterval each beat's answer carries (a real Nacos
// answers its clientBeatInterval switch, 5s unless changed; beatbench
// serve its -beat-interval; the embedded server -period). Before adding
// the instances, run sends one beat and reads it: when the server asks
// for another period than -period, the instances are built with the
// server's, the run says so on its second line and in the summary
// ("Period: the server asked for beats every 5s ..."), and the expected
// beats, the warm-up and the two-period judgement count in it, so that
// delivered measures beats lost, not a period the server overrode. The
// JSON report keeps -period in config.period_ns and the period in effect
// in window.period_ns. A server whose interval is below -tick is an
// error; one that changes its interval during the run is reported as a
// problem (the expected beats stay counted at the first).
//
// The first beats are spread over one period. The summary covers the
// steady window: from one period after the last instance was added to the
// end, -duration after it was added; both edges are timers from that
// moment, not progress ticks (a shorter run says so and covers what it
// has). A window shorter than two periods is marked short: too short to
// judge delivery by. Send latency is per transport batch over the whole
// run (the p99-send progress column too); beats failed by kind tells
// 20404, another Nacos code, an HTTP error status (such as 500), a
// timeout and other transport errors apart; light beats are counted
// apart from failures, as how beats were sent. Ctrl-C (or SIGTERM) ends the run
// early and still prints the report, and writes -json, so far. Figures are
// measured as bench/ measures them (package internal/measure): CPU is the
// process's getrusage time, memory per instance is the heap after adding
// minus before, each after a GC; percentiles are within 1.6 %.
//
// Memory: the run sets the garbage collector's GOGC to -gogc, 25 by
// default, and restores it at the end. Go's default, 100, lets the heap
// grow to twice what is live before it collects; beatbench's heap is
// almost all instances that live for the whole run, and a beat makes
// little garbage, so at 100 the RSS is about twice the live heap and at 25
// about 1.25 times, for a few percent more CPU (bench/README.md has the
// 1M figures). -gogc 100 measures a client that leaves GOGC alone.
//
// Progress: on a terminal, one status line rewritten in place each second
// (instances up, beats/s, failures per second by kind, beats in flight,
// p99 send latency, p99 lateness, CPU, context switches, RSS); otherwise,
// as when piped into a file, one line per second under column heads.
//
// -shard i/n runs only instances i, i+n, i+2n, ... of the -instances
// (0 <= i < n), so n machines can load one registry together without two
// of them beating the same instance: give each machine the same flags and
// its own i. The report records the shard; merge adds the shards' JSON
// reports up.
//
// -shard job/n takes i from $JOB_COMPLETION_INDEX, which Kubernetes sets
// in each pod of an Indexed Job; unset or out of range exits 2.
//
// -min-delivered PCT fails the run (exit 3, one line on stderr) when fewer
// than PCT percent of the expected beats were delivered (accepted with
// code 10200) in the steady window, so beatbench can gate a pipeline. It
// refuses to judge a window shorter than two periods (exit 3, saying so):
// the edges of a period weigh too much in it.
//
// Against -server, the run deregisters every instance it registered when
// it ends, Ctrl-C included, showing progress once a second (a second
// Ctrl-C stops that); -keep leaves them registered. -username and
// -password default to $NACOS_USERNAME and $NACOS_PASSWORD, so that the
// password need not show in ps; flags win.
//
// -html FILE writes one self-contained HTML page (no network needed to
// open it): charts over time of beats/s sent and ok, failures/s by kind,
// p99 lateness and send latency, CPU, context switches, RSS and
// registrations, beside the summary. The JSON report carries the
// per-second series they are drawn from.
//
// # serve
//
//	beatbench serve [-addr 127.0.0.1:8848] [-beat-interval 5s]
//	                [-unhealthy-after 15s] [-remove-after 30s]
//	                [-username u -password p] [-latency d] [-error-rate f]
//	                [-reset-rate f] [-malformed-rate f] [-duration d]
//	                [-max-requests-per-conn 100] [-idle-timeout 60s]
//	                [-restart-after d [-restart-every d]]
//
// Runs the nacostest Nacos v1 naming server, with fault injection, and
// prints its counters every second, until interrupted or -duration. It
// listens on 127.0.0.1 unless -addr says otherwise. Like Nacos 1.x on
// Tomcat, it closes a connection after 100 requests and one idle for 60 s
// (0 turns either off). -restart-after d forgets every instance d after
// the start, as a restarted Nacos would, and logs it; -restart-every
// repeats that.
//
// # plot
//
//	beatbench plot [-title t] FILE... > out.html
//
// Draws JSON reports as one self-contained HTML page, every report on the
// same axes (time from each run's start), to compare runs: two shards, two
// versions, two servers.
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
// version 2: {"schema": 2, "config": ..., "shards": [...], "start", "end",
// "window", "beats", "send_latency", "lateness", "cost", "registrations",
// "server", "problems", "series"}. Durations are integer nanoseconds (names end in
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
//	3  fewer beats delivered than -min-delivered asks, or a window too
//	   short for it to judge
//
// Every error is one line on stderr, starting "beatbench: ".
package main
