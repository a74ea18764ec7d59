package beatprom

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/beatwheel/beatwheel/reactor"
)

// ReactorStats is what a ReactorCollector reads: a *reactor.Reactor, or
// anything else that hands out its Stats.
type ReactorStats interface {
	// Stats returns a snapshot of the counters. It is called once per
	// scrape, possibly from several scrapes at once.
	Stats() reactor.Stats
}

// Label values of beatwheel_beats_failed_total's kind, one per field of
// reactor.Failures.
const (
	KindNotFound  = "not_found"
	KindCode      = "code"
	KindTimeout   = "timeout"
	KindTransport = "transport"
)

// Label values of beatwheel_reregistrations_total's result.
const (
	ResultOK     = "ok"
	ResultFailed = "failed"
)

// ReactorCollector is a prometheus.Collector of a Reactor's Stats. Safe for
// concurrent use.
type ReactorCollector struct {
	src ReactorStats

	instances, inFlight                  *prometheus.Desc
	sent, light, ok, failed              *prometheus.Desc
	reregistrations, reregisterCoalesced *prometheus.Desc
	reregisterUnneeded                   *prometheus.Desc
	reregisterRate, skipped              *prometheus.Desc
	lateness, sendDuration               *prometheus.Desc
}

var _ prometheus.Collector = (*ReactorCollector)(nil)

// NewReactorCollector returns a collector of r's Stats, read afresh on
// every scrape. r must not be nil. Register it once per Reactor; to
// register several, tell them apart WithConstLabels.
func NewReactorCollector(r ReactorStats, opts ...Option) *ReactorCollector {
	desc := newOptions(opts).desc
	return &ReactorCollector{
		src: r,
		instances: desc("instances",
			"Number of instances the reactor is beating for."),
		inFlight: desc("beats_in_flight",
			"Number of beats handed to the transport and not yet answered."),
		sent: desc("beats_sent_total",
			"Beats handed to the transport, light beats included."),
		light: desc("beats_light_total",
			"Beats sent as light beats, without the instance's details; also counted in beatwheel_beats_sent_total."),
		ok: desc("beats_ok_total",
			"Beats the server accepted (Nacos code 10200)."),
		failed: desc("beats_failed_total",
			"Beats the server did not accept, by kind: not_found (code 20404: the instance is registered again), "+
				"code (another Nacos code), timeout (no answer in time), transport (any other error).",
			"kind"),
		reregistrations: desc("reregistrations_total",
			"Re-registrations of instances the server did not know (it answered code 20404), by result: ok or failed.",
			"result"),
		reregisterCoalesced: desc("reregistrations_coalesced_total",
			"Code 20404 answers for an instance already queued for re-registration; they cause no extra registration."),
		reregisterUnneeded: desc("reregistrations_unneeded_total",
			"Re-registrations queued after a code 20404 and dropped unmade: a beat of the instance was accepted first "+
				"(a full beat registers it) or the instance stopped."),
		reregisterRate: desc("reregistrations_allowed_per_second",
			"Re-registrations the reactor allows itself per second now: the rate that starts at its ReregisterRate "+
				"and follows the server (up while registrations succeed quickly, halved when they fail or slow down)."),
		skipped: desc("beats_skipped_total",
			"Beats not sent because the scheduler handed them out later than the reactor's SkipLate allows (after a stall); "+
				"each instance beat at its next phase point instead. Not counted in beatwheel_beats_sent_total."),
		lateness: desc("beat_lateness_seconds",
			"How long after its due time each beat left the scheduler."),
		sendDuration: desc("send_batch_duration_seconds",
			"Duration of each call that sent a batch of beats to the transport and waited for the answers."),
	}
}

// Describe sends the descriptors of every metric the collector exports.
func (c *ReactorCollector) Describe(ch chan<- *prometheus.Desc) {
	describe(ch, c.instances, c.inFlight, c.sent, c.light, c.ok, c.failed,
		c.reregistrations, c.reregisterCoalesced, c.reregisterUnneeded, c.reregisterRate, c.skipped, c.lateness, c.sendDuration)
}

// Collect takes one Stats snapshot and sends it as metrics.
func (c *ReactorCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.src.Stats()
	gauge := func(d *prometheus.Desc, v float64) { sendGauge(ch, d, v) }
	counter := func(d *prometheus.Desc, v uint64, label ...string) { sendCounter(ch, d, v, label...) }
	gauge(c.instances, float64(st.Instances))
	gauge(c.inFlight, float64(st.InFlight))
	counter(c.sent, st.Sent)
	counter(c.light, st.Light)
	counter(c.ok, st.OK)
	counter(c.failed, st.Failed.NotFound, KindNotFound)
	counter(c.failed, st.Failed.Code, KindCode)
	counter(c.failed, st.Failed.Timeout, KindTimeout)
	counter(c.failed, st.Failed.Transport, KindTransport)
	counter(c.reregistrations, st.Reregistered, ResultOK)
	counter(c.reregistrations, st.ReregisterFailed, ResultFailed)
	counter(c.reregisterCoalesced, st.ReregisterCoalesced)
	counter(c.reregisterUnneeded, st.ReregisterUnneeded)
	gauge(c.reregisterRate, st.ReregisterRate)
	counter(c.skipped, st.Skipped)
	ch <- constHistogram(c.lateness, st.LatenessHistogram)
	ch <- constHistogram(c.sendDuration, st.SendLatencyHistogram)
}

// constHistogram returns h as a Prometheus histogram in seconds.
func constHistogram(d *prometheus.Desc, h reactor.Histogram) prometheus.Metric {
	buckets := make(map[float64]uint64, len(h.Buckets))
	for _, b := range h.Buckets {
		buckets[b.UpperBound.Seconds()] = b.Count
	}
	return prometheus.MustNewConstHistogram(d, h.Count, h.Sum, buckets)
}
