package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"testing"
	"time"

	"github.com/beatwheel/beatwheel/internal/beatload"
	"github.com/beatwheel/beatwheel/internal/measure"
	"github.com/beatwheel/beatwheel/reactor"
	"github.com/beatwheel/beatwheel/transport"
	"github.com/beatwheel/beatwheel/transport/nacostest"
)

// sdkSizesFlag holds the sizes of the nacossdk end-to-end rows: it cannot
// hold the -sizes the other ways run at.
var sdkSizesFlag = flag.String("sdksizes", "1000,10000", "comma-separated instance counts to run the nacossdk end-to-end way at")

// e2eLoad is N instances kept alive over HTTP against a nacostest server.
type e2eLoad struct {
	// stop stops every beat and releases what the way holds.
	stop func() error
	// reactor is the Reactor beating; nil for a way without one.
	reactor *reactor.Reactor
}

// e2eStartFunc is one end-to-end way of keeping beats alive: it makes n
// instances of beatload's population known to the nacostest server at
// addr and keeps them beating every period, and returns once all are
// registered. dir is a scratch directory it may use.
type e2eStartFunc func(addr string, n int, period time.Duration, dir string) (*e2eLoad, error)

// e2eWay names an e2eStartFunc.
type e2eWay struct {
	name  string
	start e2eStartFunc
	// sdk marks the nacos-sdk-go way: it runs at -sdksizes, and its beats
	// drift (it sleeps a period after each answer).
	sdk bool
}

// e2eWays lists the end-to-end ways, in the order they run.
func e2eWays() []e2eWay {
	return []e2eWay{
		{name: "pipeline", start: startE2EReactor(transport.ModePipeline)},
		{name: "hostclient", start: startE2EReactor(transport.ModeHostClient)},
		{name: "nacossdk", start: startNacosSDK, sdk: true},
	}
}

// e2eRegisterWorkers bounds the registrations in flight before a reactor
// way starts beating: as many as ModePipeline has connections for them
// (more only wait for one, and can time out on a busy machine).
const e2eRegisterWorkers = transport.PipelineRegisterConns

// startE2EReactor returns the way of a reactor.Reactor on our wheel
// (default configuration: up to 64 senders, batches of 256; MinInterval lowered
// to a period under 1 s) over a transport.Client in mode (default
// configuration for the mode).
//
// It registers every instance up front through the transport,
// e2eRegisterWorkers at a time, before adding them to the Reactor. Relying
// on the server's registration of an unknown instance by full beat does
// not work at scale: the Reactor's light-beat switch is global (as in the
// Java client), so once the first answer says lightBeatEnabled every later
// first beat is light, is answered 20404, and the instance waits for a
// re-registration, which the Reactor rate-limits to 1,000 a second.
func startE2EReactor(mode transport.Mode) e2eStartFunc {
	return func(addr string, n int, period time.Duration, _ string) (*e2eLoad, error) {
		tr, err := transport.New(transport.Config{Servers: []string{addr}, Mode: mode})
		if err != nil {
			return nil, err
		}
		infos := population(n, period)
		if err := registerAll(context.Background(), tr, infos, e2eRegisterWorkers); err != nil {
			_ = tr.Close()
			return nil, err
		}
		// The server answers clientBeatInterval = period; let a short test
		// period below the Reactor's 1 s floor stand.
		r, err := reactor.New(reactor.Config{Transport: tr, MinInterval: min(period, reactor.DefaultMinInterval)})
		if err != nil {
			_ = tr.Close()
			return nil, err
		}
		stop := func() error {
			err := r.Close(context.Background())
			_ = tr.Close()
			return err
		}
		for i, b := range infos {
			if err := r.Add(b); err != nil {
				_ = stop()
				return nil, fmt.Errorf("adding instance %d of %d: %w", i, n, err)
			}
		}
		return &e2eLoad{stop: stop, reactor: r}, nil
	}
}

// population returns instances 0 to n-1 of beatload's population, over
// beatload.DefaultServices services, each beating every period.
func population(n int, period time.Duration) []*reactor.BeatInfo {
	services := beatload.Services(beatload.DefaultServices)
	infos := make([]*reactor.BeatInfo, n)
	for i := range infos {
		infos[i] = beatload.Instance(i, services, period)
	}
	return infos
}

// e2eResult is what a scenario measured end to end by runE2E. Client and server share the
// process, so CPU and memory figures are of both.
type e2eResult struct {
	add              time.Duration // registering every instance (and, for the reactor, adding it)
	bytesPerInstance float64       // client + server heap and stacks per instance
	delivered        uint64        // beats the server accepted in the window (not answered 20404)
	expected         float64       // instances x window / period
	elapsed          time.Duration // the window as measured
	cpu              time.Duration // process CPU time over the window
	unhealthy        int           // instances unhealthy at the server at the end of the window
	missing          int           // instances the server does not know at the end of the window
	reactor          bool          // the fields below are set
	failed           uint64        // reactor beats failed since it started
	sendP99          time.Duration // p99 of SendBeats calls since the reactor started

	// Whole-run counts, for tests: what the window's figures must agree
	// with, whatever the machine's speed.
	registered uint64             // registrations the server had counted when start returned
	atEnd      nacostest.Counters // the server's counters at the end of the window
	untilEnd   time.Duration      // from before start to after atEnd was read
	failures   reactor.Failures   // the reactor's failures by kind at the end of the window
	total      nacostest.Counters // the server's counters once the instances were stopped
	final      reactor.Stats      // the reactor's Stats once it was closed
}

// runE2E measures one end-to-end way under the scenario: start a nacostest server answering
// clientBeatInterval = period (unhealthy after 3 periods, removed after 6:
// the Nacos 15 s and 30 s at 5 s); GC and read the heap; start the
// instances, timing it; GC and read the heap again; let them beat for the
// warm-up; then take the server's counters and process CPU time over the
// window; stop the instances, take the server's counters (and the
// reactor's Stats) once more, and stop the server.
func (sc scenario) runE2E(start e2eStartFunc, dir string) (r e2eResult, err error) {
	srv, err := nacostest.Start(nacostest.Config{
		ClientBeatInterval: sc.period,
		UnhealthyAfter:     3 * sc.period,
		RemoveAfter:        6 * sc.period,
		CheckInterval:      min(time.Second, sc.period/2),
	})
	if err != nil {
		return r, err
	}
	defer func() { err = errors.Join(err, srv.Close()) }()
	before := measure.HeapInUse()
	t0 := time.Now()
	l, err := start(srv.Addr(), sc.instances, sc.period, dir)
	r.add = time.Since(t0)
	if err != nil {
		return r, fmt.Errorf("starting %d instances: %w", sc.instances, err)
	}
	r.registered = srv.Counters().Registrations
	defer func() {
		if serr := l.stop(); serr != nil {
			err = errors.Join(err, fmt.Errorf("stopping: %w", serr))
		}
		r.total = srv.Counters()
		if l.reactor != nil {
			r.final = l.reactor.Stats()
		}
	}()
	r.bytesPerInstance = measure.PerInstance(before, measure.HeapInUse(), sc.instances)
	time.Sleep(sc.warmup)
	c0, cpu0, w0 := srv.Counters(), measure.CPUTime(), time.Now()
	time.Sleep(sc.window)
	c1, cpu1 := srv.Counters(), measure.CPUTime()
	r.elapsed, r.untilEnd, r.atEnd = time.Since(w0), time.Since(t0), c1
	r.cpu = cpu1 - cpu0
	r.delivered = (c1.Beats - c1.NotFound) - (c0.Beats - c0.NotFound)
	r.expected = float64(sc.instances) * float64(r.elapsed) / float64(sc.period)
	r.unhealthy = c1.Unhealthy
	r.missing = max(0, sc.instances-c1.Healthy-c1.Unhealthy)
	if l.reactor != nil {
		st := l.reactor.Stats()
		r.reactor, r.failed, r.failures, r.sendP99 = true, st.Failed.Total(), st.Failed, st.SendLatency.P99
	}
	return r, nil
}

// beatsPerSecond is the rate the server accepted beats at.
func (r e2eResult) beatsPerSecond() float64 { return float64(r.delivered) / r.elapsed.Seconds() }

// deliveredPerExpected is delivered / expected.
func (r e2eResult) deliveredPerExpected() float64 {
	if r.expected == 0 {
		return 0
	}
	return float64(r.delivered) / r.expected
}

// cpuPerBeat is client + server CPU per delivered beat, in ns.
func (r e2eResult) cpuPerBeat() float64 {
	if r.delivered == 0 {
		return 0
	}
	return float64(r.cpu) / float64(r.delivered)
}

// report hands r to the benchmark framework, hiding the meaningless ns/op.
func (r e2eResult) report(b *testing.B) {
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(r.beatsPerSecond(), "beats/s")
	b.ReportMetric(r.deliveredPerExpected(), "delivered/expected")
	b.ReportMetric(r.cpuPerBeat(), "ns/beat")
	b.ReportMetric(float64(r.cpu)/float64(r.elapsed), "cores")
	b.ReportMetric(r.bytesPerInstance, "B/instance")
	b.ReportMetric(float64(r.unhealthy), "unhealthy")
	b.ReportMetric(float64(r.missing), "missing")
	b.ReportMetric(ms(r.add), "add-ms")
	if r.reactor {
		b.ReportMetric(float64(r.failed), "failures")
		b.ReportMetric(ms(r.sendP99), "p99-send-ms")
	}
}

// BenchmarkEndToEnd runs every end-to-end way at every size:
// BenchmarkEndToEnd/<way>/n=<N>, the reactor ways at -sizes and nacossdk
// at -sdksizes, each against a nacostest server in the same process. Like
// BenchmarkKeepAlive it runs once per sub-benchmark: use -benchtime=1x.
func BenchmarkEndToEnd(b *testing.B) {
	sizes, err := parseSizes(*sizesFlag)
	if err != nil {
		b.Fatal(err)
	}
	sdkSizes, err := parseSizes(*sdkSizesFlag)
	if err != nil {
		b.Fatal(fmt.Errorf("-sdksizes: %w", err))
	}
	window := steadyWindow(*windowFlag, *periodFlag)
	for _, w := range e2eWays() {
		b.Run(w.name, func(b *testing.B) {
			ns := sizes
			if w.sdk {
				ns = sdkSizes
			}
			for _, n := range ns {
				b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
					sc := scenario{instances: n, period: *periodFlag, warmup: *periodFlag, window: window}
					r, err := sc.runE2E(w.start, b.TempDir())
					if err != nil {
						b.Fatal(err)
					}
					r.report(b)
				})
			}
		})
	}
}
