// Package beatprom exports a beatwheel Reactor's counters, and a transport
// Client's, to Prometheus.
//
// It lives in its own module, github.com/beatwheel/beatwheel/beatprom, so
// that the engine itself does not depend on client_golang: only a program
// that wants Prometheus metrics pulls it in.
//
// A ReactorCollector is a prometheus.Collector in the manner of
// client_golang's collectors package: it holds no metrics of its own, and
// on every scrape it takes one reactor.Stats snapshot and turns it into
// constant metrics. A TransportCollector does the same with a
// transport.Client's Stats (connections, failovers, logins), which the
// Client counts per connection or event, never per beat. The beat path is
// untouched: registering either collector adds no work, lock or
// allocation per beat. A scrape costs one Stats call (tens of
// microseconds) plus client_golang's encoding (a few hundred microseconds
// and allocations); BenchmarkBeatPath measures both side by side with a
// bare Reactor.
//
// The metrics, all prefixed beatwheel_ (durations in seconds, counters
// ending in _total), from a ReactorCollector:
//
//	beatwheel_instances                        gauge      instances beating
//	beatwheel_beats_in_flight                  gauge      beats sent, not yet answered
//	beatwheel_beats_sent_total                 counter    beats handed to the transport
//	beatwheel_beats_light_total                counter    of those, light beats
//	beatwheel_beats_ok_total                   counter    beats accepted (code 10200)
//	beatwheel_beats_failed_total{kind}         counter    kind: not_found, code, timeout, transport
//	beatwheel_reregistrations_total{result}    counter    result: ok, failed
//	beatwheel_reregistrations_coalesced_total  counter    20404s for an instance already queued
//	beatwheel_reregistrations_unneeded_total   counter    queued ones dropped: a beat registered it first
//	beatwheel_reregistrations_allowed_per_second gauge    the re-registration rate now (AIMD)
//	beatwheel_beats_skipped_total              counter    beats not sent: handed out later than SkipLate allows
//	beatwheel_beat_lateness_seconds            histogram  how late each beat left the scheduler
//	beatwheel_send_batch_duration_seconds      histogram  each Transport.SendBeats call
//
// and, from a TransportCollector:
//
//	beatwheel_transport_dials_total            counter    pipelined connections dialled
//	beatwheel_transport_resent_total           counter    beats sent again after an orderly close
//	beatwheel_transport_server_closes_total    counter    pipelined connections the server ended
//	beatwheel_transport_learned_limit          gauge      requests per connection the server allows; 0 unknown
//	beatwheel_transport_failovers_total        counter    moves to the next server
//	beatwheel_transport_logins_total           counter    successful logins
//	beatwheel_transport_login_failures_total   counter    failed login rounds
//
// sent = ok + failed (summed over kind) once no beat is in flight. The two
// histograms share the buckets of reactor.Histogram, from 100 µs to 60 s,
// with 15 s and 30 s (where Nacos marks an instance unhealthy, then
// removes it) among them.
package beatprom
