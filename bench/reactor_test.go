package bench

import (
	"time"

	"github.com/beatwheel/beatwheel/internal/beatload"
	"github.com/beatwheel/beatwheel/internal/measure"
	"github.com/beatwheel/beatwheel/wheel"
)

// startReactor keeps beats alive through the whole engine: a
// reactor.Reactor on our wheel (default configuration) with beatload's
// no-op Transport, instances spread over 1,000 services with nil metadata.
// Its B/instance is all-in: BeatInfo, IP string, key, map entry, slot and
// wheel entry; its add-ms includes building the BeatInfos.
func startReactor(n int, period time.Duration, m *measure.Meter) (func(), error) {
	l, err := beatload.StartReactor(func(h wheel.Handler) (wheel.Scheduler, error) {
		return wheel.New(wheel.Config{}, h)
	}, beatload.Config{Instances: n, Period: period, Meter: m})
	if err != nil {
		return nil, err
	}
	return l.Stop, nil
}
