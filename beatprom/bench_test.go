package beatprom_test

import (
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/beatwheel/beatwheel/beatprom"
	"github.com/beatwheel/beatwheel/internal/beatload"
	"github.com/beatwheel/beatwheel/internal/measure"
	"github.com/beatwheel/beatwheel/transport"
	"github.com/beatwheel/beatwheel/wheel"
)

// Flags of BenchmarkBeatPath, after -args or alongside -bench:
//
//	go test -run '^$' -bench BeatPath -benchtime=1x -rounds=3 -instances=100000 -window=10s
var (
	instancesFlag = flag.Int("instances", 100_000, "instances the reactor beats for")
	periodFlag    = flag.Duration("period", time.Second, "beat period of every instance")
	windowFlag    = flag.Duration("window", 10*time.Second, "length of the steady window measured, after one period of warm-up")
	scrapeFlag    = flag.Duration("scrape-every", time.Second, "time between two scrapes of the collector row")
	roundsFlag    = flag.Int("rounds", 1, "rounds of the two rows, run alternately")
)

// beatPath is one run of a Reactor with the no-op transport, scraped
// through a ReactorCollector and a TransportCollector every scrapeEvery,
// or never when it is 0.
//
// The TransportCollector reads a transport.Client that sends nothing: the
// Reactor beats through the no-op transport, so that the rows measure the
// engine and the collectors rather than HTTP. A scrape reads the same
// fixed set of counters however busy the Client is, and the Client keeps
// them whether or not anything reads them, so its scrape costs what it
// would beside a busy Client.
type beatPath struct {
	instances              int
	period, warmup, window time.Duration
	scrapeEvery            time.Duration
}

// beatPathResult is what a beatPath run measured over its steady window.
type beatPathResult struct {
	steady measure.Stats
	// scrapes is the number of scrapes in the window; scrapeCPU their CPU
	// time and scrapeAllocs their heap allocations, in all.
	scrapes      int
	scrapeCPU    time.Duration
	scrapeAllocs uint64
}

// scrapedMetrics are metrics every scrape must serve: one of each
// collector's.
var scrapedMetrics = []string{"beatwheel_beats_sent_total", "beatwheel_transport_dials_total"}

// scrapeTally accumulates what scrapes cost.
type scrapeTally struct {
	mu     sync.Mutex
	n      int
	cpu    time.Duration
	allocs uint64
}

func (s *scrapeTally) get() (int, time.Duration, uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n, s.cpu, s.allocs
}

// scrape serves one GET /metrics from h, as Prometheus would, and tallies
// its CPU time (the calling thread's, so call it locked to its thread; the
// wall-clock time where the system has no per-thread CPU time) and its
// heap allocations (the process's while it runs: the beat path allocates
// none).
func (s *scrapeTally) scrape(h http.Handler) error {
	a0 := measure.Mallocs()
	c0, perThread := measure.ThreadCPU()
	t0 := time.Now()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	cpu := time.Since(t0)
	if c1, ok := measure.ThreadCPU(); ok && perThread {
		cpu = c1 - c0
	}
	allocs := measure.Mallocs() - a0
	if rec.Code != http.StatusOK || rec.Body.Len() == 0 {
		return fmt.Errorf("scrape: status %d, %d bytes", rec.Code, rec.Body.Len())
	}
	for _, name := range scrapedMetrics {
		if !strings.Contains(rec.Body.String(), "\n"+name+" ") {
			return fmt.Errorf("scrape: no %s", name)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	s.cpu += cpu
	s.allocs += allocs
	return nil
}

// run starts the Reactor (and the scraper), warms up, measures the window,
// and stops everything before returning.
func (p beatPath) run() (beatPathResult, error) {
	var res beatPathResult
	m := measure.NewMeter()
	l, err := beatload.StartReactor(func(h wheel.Handler) (wheel.Scheduler, error) {
		return wheel.New(wheel.Config{}, h)
	}, beatload.Config{Instances: p.instances, Period: p.period, Meter: m})
	if err != nil {
		return res, err
	}
	defer l.Stop()

	var tally scrapeTally
	var scrapeErr error
	stop := make(chan struct{})
	var scraper sync.WaitGroup
	if p.scrapeEvery > 0 {
		client, err := transport.New(transport.Config{Servers: []string{"127.0.0.1:1"}}) // never dialled
		if err != nil {
			return res, err
		}
		defer client.Close()
		reg := prometheus.NewRegistry()
		reg.MustRegister(beatprom.NewReactorCollector(l.Reactor()), beatprom.NewTransportCollector(client))
		h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
		scraper.Add(1)
		go func() {
			defer scraper.Done()
			runtime.LockOSThread() // for measure.ThreadCPU
			defer runtime.UnlockOSThread()
			tick := time.NewTicker(p.scrapeEvery)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					if scrapeErr = tally.scrape(h); scrapeErr != nil {
						return
					}
				}
			}
		}()
	}
	time.Sleep(p.warmup)
	n0, t0, a0 := tally.get()
	s0 := m.Sample()
	time.Sleep(p.window)
	s1 := m.Sample()
	n1, t1, a1 := tally.get()
	close(stop)
	scraper.Wait()

	res.steady = measure.Between(s0, s1, p.instances, p.period)
	res.scrapes, res.scrapeCPU, res.scrapeAllocs = n1-n0, t1-t0, a1-a0
	return res, scrapeErr
}

// report hands r to the benchmark framework. ns/beat and allocs/beat count
// the whole process's CPU time and heap allocations; beat-ns/beat and
// beat-allocs/beat leave out the scrapes', which is what the beat path
// costs.
func (r beatPathResult) report(b *testing.B) {
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(r.steady.CPUPerBeat(), "ns/beat")
	if beats := r.steady.Beats; beats > 0 {
		b.ReportMetric(float64(r.steady.CPU-r.scrapeCPU)/float64(beats), "beat-ns/beat")
	}
	b.ReportMetric(r.steady.BeatsPerSecond(), "beats/s")
	b.ReportMetric(r.steady.FiredPerExpected(), "fired/expected")
	b.ReportMetric(float64(r.steady.P99())/float64(time.Millisecond), "p99-late-ms")
	b.ReportMetric(r.steady.AllocsPerBeat(), "allocs/beat")
	if beats := r.steady.Beats; beats > 0 {
		b.ReportMetric(float64(r.steady.Allocs-min(r.scrapeAllocs, r.steady.Allocs))/float64(beats), "beat-allocs/beat")
	}
	b.ReportMetric(float64(r.scrapes), "scrapes")
	if r.scrapes > 0 {
		b.ReportMetric(float64(r.scrapeCPU.Microseconds())/float64(r.scrapes), "cpu-µs/scrape")
		b.ReportMetric(float64(r.scrapeAllocs)/float64(r.scrapes), "allocs/scrape")
	}
}

// BenchmarkBeatPath runs a Reactor (no-op transport, default wheel) bare,
// then with a ReactorCollector and a TransportCollector registered and
// scraped through promhttp every -scrape-every, in the same process: the rows' ns/beat and
// beat-allocs/beat show what the collector adds to the beat path: the
// BeatPath/round=N/bare and .../collector rows alternate for -rounds
// rounds. Each row takes a period of warm-up plus -window however large
// b.N is, so run with -benchtime=1x.
func BenchmarkBeatPath(b *testing.B) {
	rows := []struct {
		name        string
		scrapeEvery time.Duration
	}{{"bare", 0}, {"collector", *scrapeFlag}}
	for round := 1; round <= *roundsFlag; round++ {
		b.Run(fmt.Sprintf("round=%d", round), func(b *testing.B) {
			for _, row := range rows {
				b.Run(row.name, func(b *testing.B) {
					p := beatPath{instances: *instancesFlag, period: *periodFlag, warmup: *periodFlag,
						window: *windowFlag, scrapeEvery: row.scrapeEvery}
					r, err := p.run()
					if err != nil {
						b.Fatal(err)
					}
					r.report(b)
				})
			}
		})
	}
}

// TestBeatPathHarness runs the benchmark's harness small: both rows beat,
// and the collector row scrapes, each scrape allocating (so the tally
// counts them) and serving both collectors' metrics (scrape fails
// otherwise).
func TestBeatPathHarness(t *testing.T) {
	for _, every := range []time.Duration{0, 50 * time.Millisecond} {
		p := beatPath{instances: 1000, period: 100 * time.Millisecond, warmup: 100 * time.Millisecond,
			window: 500 * time.Millisecond, scrapeEvery: every}
		r, err := p.run()
		require.NoError(t, err)
		assert.Positive(t, r.steady.Beats, "scrape every %v", every)
		if every == 0 {
			assert.Zero(t, r.scrapes)
			continue
		}
		assert.Positive(t, r.scrapes)
		assert.GreaterOrEqual(t, r.scrapeAllocs, uint64(r.scrapes), "a scrape allocates")
	}
}

// BenchmarkScrape is one scrape of a ReactorCollector through promhttp, as
// the collector row of BenchmarkBeatPath does every second: its ns/op and
// allocs/op are what a scrape costs the process, none of it per beat.
func BenchmarkScrape(b *testing.B) {
	r, _ := manualReactor(b, scripted{})
	reg := prometheus.NewRegistry()
	reg.MustRegister(beatprom.NewReactorCollector(r))
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}

// BenchmarkStats is the Reactor's part of a scrape: one Stats call.
func BenchmarkStats(b *testing.B) {
	r, _ := manualReactor(b, scripted{})
	b.ReportAllocs()
	for b.Loop() {
		_ = r.Stats()
	}
}
