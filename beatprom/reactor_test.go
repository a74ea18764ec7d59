package beatprom_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/beatwheel/beatwheel/beatprom"
	"github.com/beatwheel/beatwheel/reactor"
	"github.com/beatwheel/beatwheel/wheel"
)

// fixedStats is a ReactorStats that returns the same Stats every time.
type fixedStats reactor.Stats

func (f fixedStats) Stats() reactor.Stats { return reactor.Stats(f) }

// TestReactorCollectorMapsEveryField feeds the collector a Stats whose
// fields all differ, so a field exported under the wrong name or label
// shows.
func TestReactorCollectorMapsEveryField(t *testing.T) {
	st := fixedStats{
		Instances: 2, Sent: 3, Light: 5, OK: 7,
		Failed:       reactor.Failures{NotFound: 11, Code: 13, Timeout: 17, Transport: 19},
		Reregistered: 23, ReregisterFailed: 29, ReregisterCoalesced: 31, ReregisterUnneeded: 7,
		InFlight: 37, Skipped: 47, ReregisterRate: 53,
		LatenessHistogram: reactor.Histogram{Count: 41, Sum: 0.5, Buckets: []reactor.Bucket{
			{UpperBound: time.Millisecond, Count: 1}, {UpperBound: 250 * time.Millisecond, Count: 40}}},
		SendLatencyHistogram: reactor.Histogram{Count: 43, Sum: 1.25, Buckets: []reactor.Bucket{
			{UpperBound: 5 * time.Millisecond, Count: 42}}},
	}
	want := `
# HELP beatwheel_instances Number of instances the reactor is beating for.
# TYPE beatwheel_instances gauge
beatwheel_instances{reactor="a"} 2
# HELP beatwheel_beats_in_flight Number of beats handed to the transport and not yet answered.
# TYPE beatwheel_beats_in_flight gauge
beatwheel_beats_in_flight{reactor="a"} 37
# HELP beatwheel_beats_sent_total Beats handed to the transport, light beats included.
# TYPE beatwheel_beats_sent_total counter
beatwheel_beats_sent_total{reactor="a"} 3
# HELP beatwheel_beats_light_total Beats sent as light beats, without the instance's details; also counted in beatwheel_beats_sent_total.
# TYPE beatwheel_beats_light_total counter
beatwheel_beats_light_total{reactor="a"} 5
# HELP beatwheel_beats_ok_total Beats the server accepted (Nacos code 10200).
# TYPE beatwheel_beats_ok_total counter
beatwheel_beats_ok_total{reactor="a"} 7
# HELP beatwheel_beats_failed_total Beats the server did not accept, by kind: not_found (code 20404: the instance is registered again), code (another Nacos code), timeout (no answer in time), transport (any other error).
# TYPE beatwheel_beats_failed_total counter
beatwheel_beats_failed_total{kind="code",reactor="a"} 13
beatwheel_beats_failed_total{kind="not_found",reactor="a"} 11
beatwheel_beats_failed_total{kind="timeout",reactor="a"} 17
beatwheel_beats_failed_total{kind="transport",reactor="a"} 19
# HELP beatwheel_reregistrations_total Re-registrations of instances the server did not know (it answered code 20404), by result: ok or failed.
# TYPE beatwheel_reregistrations_total counter
beatwheel_reregistrations_total{reactor="a",result="failed"} 29
beatwheel_reregistrations_total{reactor="a",result="ok"} 23
# HELP beatwheel_reregistrations_coalesced_total Code 20404 answers for an instance already queued for re-registration; they cause no extra registration.
# TYPE beatwheel_reregistrations_coalesced_total counter
beatwheel_reregistrations_coalesced_total{reactor="a"} 31
# HELP beatwheel_reregistrations_unneeded_total Re-registrations queued after a code 20404 and dropped unmade: a beat of the instance was accepted first (a full beat registers it) or the instance stopped.
# TYPE beatwheel_reregistrations_unneeded_total counter
beatwheel_reregistrations_unneeded_total{reactor="a"} 7
# HELP beatwheel_reregistrations_allowed_per_second Re-registrations the reactor allows itself per second now: the rate that starts at its ReregisterRate and follows the server (up while registrations succeed quickly, halved when they fail or slow down).
# TYPE beatwheel_reregistrations_allowed_per_second gauge
beatwheel_reregistrations_allowed_per_second{reactor="a"} 53
# HELP beatwheel_beats_skipped_total Beats not sent because the scheduler handed them out later than the reactor's SkipLate allows (after a stall); each instance beat at its next phase point instead. Not counted in beatwheel_beats_sent_total.
# TYPE beatwheel_beats_skipped_total counter
beatwheel_beats_skipped_total{reactor="a"} 47
# HELP beatwheel_beat_lateness_seconds How long after its due time each beat left the scheduler.
# TYPE beatwheel_beat_lateness_seconds histogram
beatwheel_beat_lateness_seconds_bucket{reactor="a",le="0.001"} 1
beatwheel_beat_lateness_seconds_bucket{reactor="a",le="0.25"} 40
beatwheel_beat_lateness_seconds_bucket{reactor="a",le="+Inf"} 41
beatwheel_beat_lateness_seconds_sum{reactor="a"} 0.5
beatwheel_beat_lateness_seconds_count{reactor="a"} 41
# HELP beatwheel_send_batch_duration_seconds Duration of each call that sent a batch of beats to the transport and waited for the answers.
# TYPE beatwheel_send_batch_duration_seconds histogram
beatwheel_send_batch_duration_seconds_bucket{reactor="a",le="0.005"} 42
beatwheel_send_batch_duration_seconds_bucket{reactor="a",le="+Inf"} 43
beatwheel_send_batch_duration_seconds_sum{reactor="a"} 1.25
beatwheel_send_batch_duration_seconds_count{reactor="a"} 43
`
	c := beatprom.NewReactorCollector(st, beatprom.WithConstLabels(prometheus.Labels{"reactor": "a"}))
	require.NoError(t, testutil.CollectAndCompare(c, strings.NewReader(want)))
	problems, err := testutil.CollectAndLint(c)
	require.NoError(t, err)
	assert.Empty(t, problems)
}

// scripted is a reactor.Transport whose answer depends on the instance's
// port, so that every outcome the collector counts happens.
type scripted struct{}

// Ports of the scripted outcomes.
const (
	portOK       = 1 + iota // 10200, light beats allowed
	portNotFound            // 20404; registering again succeeds
	portLost                // 20404; registering again fails
	portBadCode             // another Nacos code
	portTimeout             // no answer in time
	portReset               // another transport error
	ports        = iota
)

var errRegister = errors.New("scripted: registration refused")

func (scripted) SendBeats(_ context.Context, beats []reactor.Beat, results []reactor.BeatResult) {
	for i, b := range beats {
		switch b.Info.Port {
		case portOK:
			results[i] = reactor.BeatResult{Code: reactor.CodeOK, LightBeatEnabled: true}
		case portNotFound, portLost:
			results[i] = reactor.BeatResult{Code: reactor.CodeNotFound, LightBeatEnabled: true}
		case portBadCode:
			results[i] = reactor.BeatResult{Code: 500, LightBeatEnabled: true}
		case portTimeout:
			results[i] = reactor.BeatResult{Err: fmt.Errorf("scripted: %w", context.DeadlineExceeded)}
		default:
			results[i] = reactor.BeatResult{Err: errors.New("scripted: connection reset by peer")}
		}
	}
}

func (scripted) Register(_ context.Context, b *reactor.BeatInfo) error {
	if b.Port == portLost {
		return errRegister
	}
	return nil
}

func (scripted) Deregister(context.Context, *reactor.BeatInfo) error { return nil }

// manualReactor returns a Reactor on a Manual wheel (1 ms tick) sending
// through tr, and its wheel.
func manualReactor(t testing.TB, tr reactor.Transport) (*reactor.Reactor, *wheel.Wheel) {
	t.Helper()
	var w *wheel.Wheel
	r, err := reactor.New(reactor.Config{
		Transport: tr,
		Scheduler: func(h wheel.Handler) (wheel.Scheduler, error) {
			var err error
			w, err = wheel.New(wheel.Config{Manual: true, Tick: time.Millisecond}, h)
			return w, err
		},
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, r.Close(context.Background())) })
	return r, w
}

// settled reports whether r has nothing under way: every beat the wheel
// handed out (each one records its lateness) is sent and answered, and
// every 20404 is registered again or coalesced.
func settled(st reactor.Stats) bool {
	return st.Sent == st.Lateness.Count && st.InFlight == 0 &&
		st.Reregistered+st.ReregisterFailed+st.ReregisterCoalesced+st.ReregisterUnneeded == st.Failed.NotFound
}

// TestReactorCollectorScrapesReactor runs a Reactor through every outcome
// on a Manual clock, scraping it from another goroutine meanwhile, then
// checks a scrape of the settled Reactor against its Stats.
func TestReactorCollectorScrapesReactor(t *testing.T) {
	r, w := manualReactor(t, scripted{})
	for port := 1; port <= ports; port++ {
		require.NoError(t, r.Add(&reactor.BeatInfo{
			ServiceName: "DEFAULT_GROUP@@orders", IP: "10.0.0.1", Port: port, Weight: 1, Period: time.Second,
		}))
	}
	reg := prometheus.NewPedanticRegistry() // checks what is collected against what is described
	reg.MustRegister(beatprom.NewReactorCollector(r))

	var scrapes sync.WaitGroup
	done := make(chan struct{})
	scrapes.Add(1)
	go func() {
		defer scrapes.Done()
		for {
			_, err := reg.Gather()
			assert.NoError(t, err)
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond): // a scrape now and then, not a busy loop
			}
		}
	}()
	for now := 100 * time.Millisecond; now <= 5*time.Second; now += 100 * time.Millisecond {
		require.NoError(t, w.Advance(now))
		require.Eventually(t, func() bool { return settled(r.Stats()) }, 10*time.Second, time.Millisecond,
			"at %v: %+v", now, r.Stats())
	}
	close(done)
	scrapes.Wait()

	mfs, err := reg.Gather()
	require.NoError(t, err)
	st := r.Stats()
	require.True(t, settled(st), "nothing moves without the clock")
	// Every outcome happened, so each value below is checked against a
	// field that is not zero.
	require.Positive(t, st.OK)
	require.Positive(t, st.Light)
	require.Positive(t, st.Failed.NotFound)
	require.Positive(t, st.Failed.Code)
	require.Positive(t, st.Failed.Timeout)
	require.Positive(t, st.Failed.Transport)
	require.Positive(t, st.Reregistered)
	require.Positive(t, st.ReregisterFailed)
	assert.Equal(t, st.Sent, st.OK+st.Failed.Total(), "sent = ok + failed once settled")

	tests := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"beatwheel_instances", nil, ports},
		{"beatwheel_beats_in_flight", nil, 0},
		{"beatwheel_beats_sent_total", nil, float64(st.Sent)},
		{"beatwheel_beats_light_total", nil, float64(st.Light)},
		{"beatwheel_beats_ok_total", nil, float64(st.OK)},
		{"beatwheel_beats_failed_total", map[string]string{"kind": beatprom.KindNotFound}, float64(st.Failed.NotFound)},
		{"beatwheel_beats_failed_total", map[string]string{"kind": beatprom.KindCode}, float64(st.Failed.Code)},
		{"beatwheel_beats_failed_total", map[string]string{"kind": beatprom.KindTimeout}, float64(st.Failed.Timeout)},
		{"beatwheel_beats_failed_total", map[string]string{"kind": beatprom.KindTransport}, float64(st.Failed.Transport)},
		{"beatwheel_reregistrations_total", map[string]string{"result": beatprom.ResultOK}, float64(st.Reregistered)},
		{"beatwheel_reregistrations_total", map[string]string{"result": beatprom.ResultFailed}, float64(st.ReregisterFailed)},
		{"beatwheel_reregistrations_coalesced_total", nil, float64(st.ReregisterCoalesced)},
		{"beatwheel_reregistrations_unneeded_total", nil, float64(st.ReregisterUnneeded)},
		{"beatwheel_beats_skipped_total", nil, float64(st.Skipped)},
		{"beatwheel_reregistrations_allowed_per_second", nil, st.ReregisterRate},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, value(find(t, mfs, tc.name, tc.labels)), "%s%v", tc.name, tc.labels)
	}

	for name, h := range map[string]reactor.Histogram{
		"beatwheel_beat_lateness_seconds":       st.LatenessHistogram,
		"beatwheel_send_batch_duration_seconds": st.SendLatencyHistogram,
	} {
		got := find(t, mfs, name, nil).GetHistogram()
		require.NotNil(t, got, name)
		require.Positive(t, h.Count, name)
		assert.Equal(t, h.Count, got.GetSampleCount(), name)
		assert.Equal(t, h.Sum, got.GetSampleSum(), name)
		require.Len(t, got.GetBucket(), len(h.Buckets), name)
		for i, b := range got.GetBucket() {
			assert.Equal(t, h.Buckets[i].UpperBound.Seconds(), b.GetUpperBound(), name)
			assert.Equal(t, h.Buckets[i].Count, b.GetCumulativeCount(), "%s le=%v", name, b.GetUpperBound())
		}
	}
	late := st.LatenessHistogram
	assert.Equal(t, st.Lateness.Count, late.Count)
	assert.Less(t, late.Buckets[0].Count, late.Count, "the clock moved in 100 ms steps: some beats were later than 100 µs")
	assert.Equal(t, late.Count, bucketAt(late, 100*time.Millisecond), "and none later than a step")
}

// TestReactorCollectorSkipped: a Reactor whose clock jumps past an
// instance's first beat skips it, and a scrape shows the skip.
func TestReactorCollectorSkipped(t *testing.T) {
	r, w := manualReactor(t, scripted{})
	require.NoError(t, r.Add(&reactor.BeatInfo{
		ServiceName: "DEFAULT_GROUP@@orders", IP: "10.0.0.1", Port: portOK, Weight: 1, Period: time.Second,
	}))
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(beatprom.NewReactorCollector(r))
	skipped := func() float64 {
		mfs, err := reg.Gather()
		require.NoError(t, err)
		return value(find(t, mfs, "beatwheel_beats_skipped_total", nil))
	}
	assert.Zero(t, skipped())
	// The first beat is due within a period: handed out seconds late, it
	// is skipped.
	require.NoError(t, w.Advance(5*time.Second))
	require.Eventually(t, func() bool { return r.Stats().Skipped > 0 }, 10*time.Second, time.Millisecond)
	st := r.Stats()
	assert.Equal(t, float64(st.Skipped), skipped())
	assert.Zero(t, st.Sent, "a skipped beat is not sent")
}

// TestReactorCollectorLint: the metrics of a live Reactor pass
// client_golang's linter (names, units, help).
func TestReactorCollectorLint(t *testing.T) {
	r, _ := manualReactor(t, scripted{})
	problems, err := testutil.CollectAndLint(beatprom.NewReactorCollector(r))
	require.NoError(t, err)
	assert.Empty(t, problems)
	assert.Equal(t, 13+3+1, testutil.CollectAndCount(beatprom.NewReactorCollector(r)),
		"thirteen families; four failure kinds and two re-registration results")
}

// find returns the metric of family name whose labels include labels.
func find(t *testing.T, mfs []*dto.MetricFamily, name string, labels map[string]string) *dto.Metric {
	t.Helper()
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			for k, v := range labels {
				if !hasLabel(m, k, v) {
					continue metrics
				}
			}
			return m
		}
	}
	require.FailNow(t, "metric not found", "%s%v", name, labels)
	return nil
}

// value returns m's value, a counter's or a gauge's.
func value(m *dto.Metric) float64 {
	if c := m.GetCounter(); c != nil {
		return c.GetValue()
	}
	return m.GetGauge().GetValue()
}

func hasLabel(m *dto.Metric, name, value string) bool {
	for _, l := range m.GetLabel() {
		if l.GetName() == name && l.GetValue() == value {
			return true
		}
	}
	return false
}

// bucketAt returns h's cumulative count at bound.
func bucketAt(h reactor.Histogram, bound time.Duration) uint64 {
	for _, b := range h.Buckets {
		if b.UpperBound == bound {
			return b.Count
		}
	}
	panic(fmt.Sprintf("no bucket at %v", bound))
}
