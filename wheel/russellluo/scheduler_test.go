package russellluo

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/beatwheel/beatwheel/wheel"
	"github.com/beatwheel/beatwheel/wheel/schedulertest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestSchedulerContract holds the adapter to the promises every Scheduler
// makes. timingwheel fires a whole tick at once, rounding down: an entry
// may fire up to a tick early.
func TestSchedulerContract(t *testing.T) {
	schedulertest.Run(t, schedulertest.Config{
		New: func(h wheel.Handler) (wheel.Scheduler, error) {
			return New(Config{Tick: tick, WheelSize: 64}, h)
		},
		Tick:  tick,
		Early: tick,
	})
}

// tick is the adapter's tick in these tests: the finest timingwheel has.
const tick = time.Millisecond

func TestConfig(t *testing.T) {
	nop := func([]wheel.Expired) {}
	tests := []struct {
		name    string
		cfg     Config
		h       wheel.Handler
		wantErr bool
	}{
		{name: "zero config", cfg: Config{}, h: nop},
		{name: "shaped", cfg: Config{Tick: 5 * time.Millisecond, WheelSize: 20}, h: nop},
		{name: "tick below a millisecond", cfg: Config{Tick: 500 * time.Microsecond}, h: nop, wantErr: true},
		{name: "fractional milliseconds", cfg: Config{Tick: 1500 * time.Microsecond}, h: nop, wantErr: true},
		{name: "negative tick", cfg: Config{Tick: -time.Millisecond}, h: nop, wantErr: true},
		{name: "one slot", cfg: Config{WheelSize: 1}, h: nop, wantErr: true},
		{name: "negative slots", cfg: Config{WheelSize: -8}, h: nop, wantErr: true},
		{name: "nil handler", cfg: Config{}, h: nil, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(tc.cfg, tc.h)
			if tc.wantErr {
				require.ErrorIs(t, err, wheel.ErrInvalidConfig)
				assert.Nil(t, s)
				return
			}
			require.NoError(t, err)
			s.Stop()
		})
	}
}
