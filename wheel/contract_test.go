package wheel_test

import (
	"testing"
	"time"

	"github.com/beatwheel/beatwheel/wheel"
	"github.com/beatwheel/beatwheel/wheel/schedulertest"
)

// TestSchedulerContract holds *wheel.Wheel, on the real clock, to the
// promises every Scheduler makes.
func TestSchedulerContract(t *testing.T) {
	schedulertest.Run(t, schedulertest.Config{
		New: func(h wheel.Handler) (wheel.Scheduler, error) {
			return wheel.New(wheel.Config{Tick: time.Millisecond}, h)
		},
		Tick: time.Millisecond,
	})
}
