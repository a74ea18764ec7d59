package beatprom

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/beatwheel/beatwheel/transport"
)

// TransportStats is what a TransportCollector reads: a *transport.Client,
// or anything else that hands out its Stats.
type TransportStats interface {
	// Stats returns a snapshot of the counters. It is called once per
	// scrape, possibly from several scrapes at once.
	Stats() transport.Stats
}

// TransportCollector is a prometheus.Collector of a transport Client's
// Stats: its connections, failovers and logins. Safe for concurrent use.
type TransportCollector struct {
	src TransportStats

	dials, resent, serverCloses, learnedLimit *prometheus.Desc
	failovers, logins, loginFailures          *prometheus.Desc
}

var _ prometheus.Collector = (*TransportCollector)(nil)

// NewTransportCollector returns a collector of c's Stats, read afresh on
// every scrape. c must not be nil. Register it once per Client; to
// register several, tell them apart WithConstLabels.
func NewTransportCollector(c TransportStats, opts ...Option) *TransportCollector {
	desc := newOptions(opts).desc
	return &TransportCollector{
		src: c,
		dials: desc("transport_dials_total",
			"Pipelined connections dialled to the servers, those dialled ahead of need included."),
		resent: desc("transport_resent_total",
			"Beats sent again, once each, because the server ended their connection in an orderly way before answering them."),
		serverCloses: desc("transport_server_closes_total",
			"Pipelined connections the server ended (Connection: close, EOF or reset), idle or not."),
		learnedLimit: desc("transport_learned_limit",
			"Requests the current server answers on one pipelined connection before ending it, as learned; "+
				"0 while unknown, when the server sets no limit, or outside pipeline mode."),
		failovers: desc("transport_failovers_total",
			"Moves of the client to the next server after a connection error."),
		logins: desc("transport_logins_total",
			"Successful logins to the servers."),
		loginFailures: desc("transport_login_failures_total",
			"Failed login rounds."),
	}
}

// Describe sends the descriptors of every metric the collector exports.
func (c *TransportCollector) Describe(ch chan<- *prometheus.Desc) {
	describe(ch, c.dials, c.resent, c.serverCloses, c.learnedLimit, c.failovers, c.logins, c.loginFailures)
}

// Collect takes one Stats snapshot and sends it as metrics.
func (c *TransportCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.src.Stats()
	sendCounter(ch, c.dials, st.ConnsDialled)
	sendCounter(ch, c.resent, st.Resent)
	sendCounter(ch, c.serverCloses, st.ServerCloses)
	sendGauge(ch, c.learnedLimit, float64(st.ConnLimit))
	sendCounter(ch, c.failovers, st.Failovers)
	sendCounter(ch, c.logins, st.Logins)
	sendCounter(ch, c.loginFailures, st.LoginFailures)
}
