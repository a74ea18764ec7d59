package beatload

import (
	"context"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/beatwheel/beatwheel/internal/measure"
	"github.com/beatwheel/beatwheel/reactor"
	"github.com/beatwheel/beatwheel/wheel"
)

func TestInstancesAreValidAndDistinct(t *testing.T) {
	services := Services(7)
	assert.Equal(t, "DEFAULT_GROUP@@service-6", services[6])
	keys := map[string]bool{}
	for _, i := range []int{0, 1, 255, 256, 65535, 65536, 1<<24 - 1, 1 << 24, 1<<24 + 1, 10_000_000, 100_000_000} {
		b := Instance(i, services, 2*time.Second)
		require.NoError(t, b.Validate(), "instance %d", i)
		assert.Same(t, unsafeString(services[i%7]), unsafeString(b.ServiceName), "shares its service name")
		assert.Equal(t, 2*time.Second, b.Period)
		assert.False(t, keys[b.Key()], "instance %d repeats key %s", i, b.Key())
		keys[b.Key()] = true
	}
	b := Instance(1<<24+258, services, time.Second)
	assert.Equal(t, "10.0.1.2", b.IP)
	assert.Equal(t, Port+1, b.Port)
}

// unsafeString returns the address of s's bytes, to tell shared strings.
func unsafeString(s string) *byte { return unsafe.StringData(s) }

func TestRecorderRecordsAcceptedBeats(t *testing.T) {
	m := measure.NewMeter()
	services := Services(1)
	beats := []reactor.Beat{
		{Info: Instance(0, services, time.Second), Late: 2 * time.Millisecond},
		{Info: Instance(1, services, time.Second), Late: 5 * time.Millisecond},
	}
	results := make([]reactor.BeatResult, 2)
	Recorder{Transport: Noop{}, Meter: m}.SendBeats(context.Background(), beats, results)
	for _, r := range results {
		assert.Equal(t, reactor.BeatResult{Code: reactor.CodeOK}, r)
	}
	assert.Equal(t, uint64(2), m.Beats())
	assert.Equal(t, 5*time.Millisecond, m.Lateness().Max())
	assert.NoError(t, Noop{}.Register(context.Background(), beats[0].Info))
	assert.NoError(t, Noop{}.Deregister(context.Background(), beats[0].Info))
	rec := Recorder{Transport: Noop{}, Meter: m}
	assert.Zero(t, testing.AllocsPerRun(100, func() { rec.SendBeats(context.Background(), beats, results) }))

	// Failed and refused beats are not counted.
	m = measure.NewMeter()
	Recorder{Transport: scripted{{Err: assert.AnError}, {Code: reactor.CodeNotFound}}, Meter: m}.SendBeats(context.Background(), beats, results)
	assert.Zero(t, m.Beats())
}

// scripted answers beats from a list.
type scripted []reactor.BeatResult

func (s scripted) SendBeats(_ context.Context, _ []reactor.Beat, results []reactor.BeatResult) {
	copy(results, s)
}
func (scripted) Register(context.Context, *reactor.BeatInfo) error   { return nil }
func (scripted) Deregister(context.Context, *reactor.BeatInfo) error { return nil }

// TestReactorLoadBeatsEveryInstance drives a reactor load on a Manual wheel
// through three periods: every instance beats once per period.
func TestReactorLoadBeatsEveryInstance(t *testing.T) {
	const n, period = 500, time.Second
	var w *wheel.Wheel
	m := measure.NewMeter()
	l, err := StartReactor(func(h wheel.Handler) (wheel.Scheduler, error) {
		var err error
		w, err = wheel.New(wheel.Config{Manual: true, Tick: time.Millisecond}, h)
		return w, err
	}, Config{Instances: n, Period: period, Meter: m, Services: 10})
	require.NoError(t, err)
	defer l.Stop()
	assert.Equal(t, n, l.Reactor().Len())
	for p := 1; p <= 3; p++ {
		// A period in steps of a hundredth: every instance is due once in
		// it, and no beat is handed out so late that the reactor would
		// skip it (reactor.Config.SkipLate).
		for now := time.Duration(p-1) * period; now < time.Duration(p)*period; {
			now += period / 100
			require.NoError(t, w.Advance(now))
		}
		require.Eventually(t, func() bool {
			return l.Reactor().Stats().Sent == uint64(p*n)
		}, 5*time.Second, time.Millisecond, "period %d", p)
		assert.Equal(t, uint64(p*n), m.Beats(), "after period %d", p)
	}
	l.Stop()
	l.Stop()
	assert.Equal(t, 0, l.Reactor().Len())
}

func TestStartReactorValidates(t *testing.T) {
	_, err := StartReactor(func(h wheel.Handler) (wheel.Scheduler, error) {
		t.Fatal("scheduler built for an invalid config")
		return nil, nil
	}, Config{Instances: 10, Period: time.Second, Meter: measure.NewMeter(), Services: -1})
	require.ErrorIs(t, err, ErrInvalidConfig)
}

// TestStartReactorTakesEveryStrideth: First and Stride pick the instances
// a shard adds.
func TestStartReactorTakesEveryStrideth(t *testing.T) {
	services := Services(5)
	l, err := StartReactor(func(h wheel.Handler) (wheel.Scheduler, error) {
		return wheel.New(wheel.Config{Manual: true}, h)
	}, Config{Instances: 4, Period: time.Second, Meter: measure.NewMeter(), Services: 5, First: 1, Stride: 3})
	require.NoError(t, err)
	defer l.Stop()
	assert.Equal(t, 4, l.Reactor().Len())
	for _, i := range []int{1, 4, 7, 10} {
		b := Instance(i, services, time.Second)
		_, ok := l.Reactor().Get(b.ServiceName, b.IP, b.Port)
		assert.True(t, ok, "instance %d", i)
	}
	_, err = StartReactor(nil, Config{Instances: 1, Period: time.Second, Meter: measure.NewMeter(), Stride: -1})
	assert.ErrorIs(t, err, ErrInvalidConfig)
}
