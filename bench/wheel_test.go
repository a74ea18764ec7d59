package bench

import (
	"time"

	"github.com/beatwheel/beatwheel/internal/measure"
	"github.com/beatwheel/beatwheel/wheel"
)

// startWheel keeps beats alive on our wheel, default configuration, through
// beatload.
func startWheel(n int, period time.Duration, m *measure.Meter) (func(), error) {
	return startOn(newWheel)(n, period, m)
}

// newWheel builds our wheel, default configuration.
func newWheel(h wheel.Handler) (wheel.Scheduler, error) {
	return wheel.New(wheel.Config{}, h)
}
