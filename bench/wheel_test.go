package bench

import (
	"time"

	"github.com/beatwheel/beatwheel/internal/beatload"
	"github.com/beatwheel/beatwheel/internal/measure"
	"github.com/beatwheel/beatwheel/wheel"
)

// startWheel keeps beats alive on our wheel, default configuration, through
// beatload.
func startWheel(n int, period time.Duration, m *measure.Meter) (func(), error) {
	l, err := beatload.Start(func(h wheel.Handler) (wheel.Scheduler, error) {
		return wheel.New(wheel.Config{}, h)
	}, beatload.Config{Instances: n, Period: period, Meter: m})
	if err != nil {
		return nil, err
	}
	return l.Stop, nil
}
