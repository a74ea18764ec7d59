// Package report is the result of one beatbench run, or of several shard
// runs merged: one Report, computed once and rendered twice, as the text
// summary (WriteText) and as JSON (WriteFile, Read).
//
// # JSON schema, version 2
//
// A report is one JSON object. Field names are snake_case; every duration
// is an integer number of nanoseconds and its name ends in _ns; times are
// RFC 3339 with nanoseconds; percentages run from 0 to 100. Fields marked
// "derived" are recomputed from the others by Derive, so a reader may
// ignore them and a merge recomputes them. The Go types below carry one doc
// comment per field; in short:
//
//	schema         always 2; a reader refuses any other value (version 1
//	               had no window.short, failed.http or series, and counted
//	               HTTP error answers as failed.transport)
//	config         the command line, without the password (Config)
//	shards         the slice(s) of the instance space run (Shard): one for a
//	               run, every merged one for a merge, in index order
//	start, end     wall-clock start and end of the run (merge: earliest start,
//	               latest end)
//	interrupted    the run was stopped early (Ctrl-C); the figures are the
//	               report so far
//	window         what the figures cover: the steady window starts a
//	               period after the last instance was added; short when it
//	               spans less than two periods; period_ns, the period the
//	               instances beat at, is the server's clientBeatInterval
//	               when it asked for another than config.period_ns (absent
//	               in older reports: config.period_ns) (Window)
//	beats          expected, sent, ok, light, failed by kind (not_found,
//	               code, http, timeout, transport), delivered_pct,
//	               per_second, over the window (Beats)
//	send_latency   duration of each transport batch (SendBeats call), over the
//	               whole run; absent with -transport none (Latency)
//	lateness       how late each delivered beat left the scheduler, over the
//	               window (Latency)
//	cost           CPU per beat, CPU percent, context switches (and per
//	               second), allocations, bytes per instance, RSS (Cost)
//	registrations  registrations that failed, re-registrations after 20404;
//	               absent with -transport none (Registrations)
//	server         the embedded server's counters; absent with -server
//	               (Server)
//	problems       what went wrong, one line each; absent when nothing did
//	series         the run second by second (Point): beats sent and ok,
//	               failures by kind and re-registrations per second, p99
//	               lateness and send latency, CPU, context switches, RSS,
//	               instances added; what the HTML report draws; absent in
//	               a merge
//
// # Merging
//
// Merge adds up reports of the shards of one run: counts and CPU time are
// summed; expected beats are summed (each shard computed its own from its
// window); bytes per instance is the instance-weighted mean; add time is the
// slowest shard's; the window length is the longest shard's, so rates and
// CPU percent are totals over it. Latency percentiles cannot be summed: a
// merged percentile is the largest of the shards' same percentile. That is
// an upper bound on the true percentile of the union (the union's q-quantile
// is never above every shard's), exact for max, and close when the shards
// ran alike. Derived fields are then recomputed.
package report
