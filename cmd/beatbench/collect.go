package main

import (
	"os"
	"time"

	"github.com/beatwheel/beatwheel/internal/measure"
	"github.com/beatwheel/beatwheel/internal/report"
	"github.com/beatwheel/beatwheel/reactor"
	"github.com/beatwheel/beatwheel/transport/nacostest"
)

// report computes the run's report, once: the text summary and the JSON
// both render it. last is the final sample and end the load's status at
// the end, before it stopped.
func (r *runState) report(last measure.Sample, end status, interrupted bool) *report.Report {
	cfg := r.cfg
	st := measure.Between(r.steady, last, cfg.beating(), cfg.beatPeriod())
	host, _ := os.Hostname()
	rep := &report.Report{
		Config:      configReport(cfg),
		Shards:      []report.Shard{{Index: cfg.shard.index, Count: cfg.shard.count, Instances: cfg.beating(), Host: host}},
		Start:       r.start.Round(0), // wall clock only
		End:         last.At.Round(0),
		Interrupted: interrupted,
		Window: report.Window{
			AllAdded: r.addedAt != time.Time{},
			Steady:   r.warm,
			Added:    end.added,
			Warmup:   r.steady.At.Sub(r.start),
			Length:   st.Elapsed,
			Period:   cfg.beatPeriod(),
		},
		Beats:    report.Beats{Expected: st.Expected, Sent: st.Beats, OK: st.Beats},
		Lateness: report.Latency(st.Lateness.Summary()),
		Cost: report.Cost{
			CPU:              st.CPU,
			Switches:         st.Switches,
			Allocs:           st.Allocs,
			BytesPerInstance: r.perInstance,
			RSS:              measure.RSS(),
		},
		Series: r.series,
	}
	if rep.Window.AllAdded {
		rep.Window.Add = r.addedAt.Sub(r.start)
	}
	if b := end.stats; b != nil {
		var a reactor.Stats // from the start when the window does
		if r.steadyStatus.stats != nil {
			a = *r.steadyStatus.stats
		}
		f := failedBetween(a.Failed, b.Failed, r.steadyStatus.http, end.http)
		rep.Beats.Sent, rep.Beats.Light = b.Sent-a.Sent, b.Light-a.Light
		rep.Beats.Failed = report.Failures{NotFound: f.NotFound, Code: f.Code, HTTP: f.HTTP, Timeout: f.Timeout, Transport: f.Transport}
		send := report.Latency(b.SendLatency)
		rep.SendLatency = &send
		rep.Registrations = &report.Registrations{Failed: end.regFailed, Reregistered: b.Reregistered, ReregisterFailed: b.ReregisterFailed}
	}
	if b := end.server; b != nil {
		var a nacostest.Counters
		if r.steadyStatus.server != nil {
			a = *r.steadyStatus.server
		}
		rep.Server = &report.Server{Beats: b.Beats - a.Beats, NotFound: b.NotFound - a.NotFound,
			Registrations: b.Registrations, Healthy: b.Healthy, Unhealthy: b.Unhealthy}
	}
	if end.problems != "" {
		rep.Problems = []string{end.problems}
	}
	rep.Derive()
	return rep
}

// configReport is cfg as the report records it: without the password.
func configReport(cfg config) report.Config {
	c := report.Config{
		Instances: cfg.instances, Services: cfg.services, Period: cfg.period, Duration: cfg.duration,
		Ramp: cfg.ramp, Tick: cfg.tick, Scheduler: cfg.scheduler, Transport: cfg.transport,
		Conns: cfg.conns, Senders: cfg.senders, MinDelivered: cfg.minDelivered,
	}
	if cfg.transport == "nacos" {
		c.Servers, c.Mode, c.Namespace, c.Username = cfg.servers, cfg.mode.String(), cfg.ns, cfg.username
	}
	return c
}

// failures counts failed beats by kind: the reactor's Failures with the
// answers of HTTP error status, which it counts as Transport, apart.
type failures struct {
	NotFound, Code, HTTP, Timeout, Transport uint64
}

// Total is the number of failed beats.
func (f failures) Total() uint64 { return f.NotFound + f.Code + f.HTTP + f.Timeout + f.Transport }

// failedBetween returns the failures counted from a to b, httpA and httpB
// being the HTTP error answers counted by then, which a and b count as
// Transport.
func failedBetween(a, b reactor.Failures, httpA, httpB uint64) failures {
	http := httpB - httpA
	transport := b.Transport - a.Transport
	return failures{NotFound: b.NotFound - a.NotFound, Code: b.Code - a.Code, HTTP: http,
		Timeout: b.Timeout - a.Timeout, Transport: transport - min(http, transport)}
}
