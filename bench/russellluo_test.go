package bench

import (
	"time"

	"github.com/beatwheel/beatwheel/internal/measure"
	"github.com/beatwheel/beatwheel/wheel"
	"github.com/beatwheel/beatwheel/wheel/russellluo"
)

// startRussellLuo keeps beats alive on RussellLuo/timingwheel through our
// adapter, default configuration (10 ms tick, 512 slots), through beatload.
func startRussellLuo(n int, period time.Duration, m *measure.Meter) (func(), error) {
	return startOn(func(h wheel.Handler) (wheel.Scheduler, error) {
		return russellluo.New(russellluo.Config{}, h)
	})(n, period, m)
}
