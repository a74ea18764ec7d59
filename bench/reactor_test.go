package bench

import (
	"fmt"
	"time"

	"github.com/beatwheel/beatwheel/internal/beatload"
	"github.com/beatwheel/beatwheel/internal/measure"
)

// startReactor keeps beats alive through the whole engine: a
// reactor.Reactor on our wheel (default configuration) with beatload's
// no-op Transport, instances spread over 1,000 services with nil metadata.
// Its B/instance is all-in: BeatInfo, IP string, key, map entry, slot and
// wheel entry; its add-ms includes building the BeatInfos.
func startReactor(n int, period time.Duration, m *measure.Meter) (func(), error) {
	l, err := beatload.StartReactor(newWheel, beatload.Config{Instances: n, Period: period, Meter: m})
	if err != nil {
		return nil, err
	}
	return l.Stop, nil
}

// startReactorReplaced is startReactor after every instance has been
// removed and replaced by a new one (instance n+k for instance k, another
// key): a reactor that has lived through churn. The wheel places an entry
// when it is added, and a replacement reuses a removed entry's memory, so
// this row shows what churn does to that placement.
func startReactorReplaced(n int, period time.Duration, m *measure.Meter) (func(), error) {
	l, err := beatload.StartReactor(newWheel, beatload.Config{Instances: n, Period: period, Meter: m})
	if err != nil {
		return nil, err
	}
	r := l.Reactor()
	services := beatload.Services(beatload.DefaultServices)
	for k := range n {
		old := beatload.Instance(k, services, period)
		if !r.Remove(old.ServiceName, old.IP, old.Port) {
			l.Stop()
			return nil, fmt.Errorf("instance %d was not beating", k)
		}
		if err := r.Add(beatload.Instance(n+k, services, period)); err != nil {
			l.Stop()
			return nil, fmt.Errorf("replacing instance %d: %w", k, err)
		}
	}
	return l.Stop, nil
}
