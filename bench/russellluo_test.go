package bench

import (
	"time"

	"github.com/beatwheel/beatwheel/internal/beatload"
	"github.com/beatwheel/beatwheel/internal/measure"
	"github.com/beatwheel/beatwheel/wheel"
	"github.com/beatwheel/beatwheel/wheel/russellluo"
)

// startRussellLuo keeps beats alive on RussellLuo/timingwheel through our
// adapter, default configuration (10 ms tick, 512 slots), through beatload.
func startRussellLuo(n int, period time.Duration, m *measure.Meter) (func(), error) {
	l, err := beatload.Start(func(h wheel.Handler) (wheel.Scheduler, error) {
		return russellluo.New(russellluo.Config{}, h)
	}, beatload.Config{Instances: n, Period: period, Meter: m})
	if err != nil {
		return nil, err
	}
	return l.Stop, nil
}
