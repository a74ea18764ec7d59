package bench

import (
	"sync"
	"time"

	"github.com/beatwheel/beatwheel/internal/beatload"
	"github.com/beatwheel/beatwheel/internal/measure"
)

// startGoroutines keeps beats alive the way nacos-sdk-go v1 does: one
// goroutine per instance that beats and then sleeps a period. The sleep
// starts after the beat and oversleeps a little, so each instance drifts
// later every period: lateness is measured against the schedule it should
// keep (first beat + k periods), and fired/expected falls below 1.
//
// Stop waits for every goroutine to wake from its sleep: up to a period.
func startGoroutines(n int, period time.Duration, m *measure.Meter) (func(), error) {
	start := time.Now()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(n)
	for i := range n {
		go func() {
			defer wg.Done()
			sleepLoop(uint64(i), start, beatload.Phase(period, i, n), period, m, done)
		}()
	}
	return func() {
		close(done)
		wg.Wait()
	}, nil
}

// sleepLoop is one instance's goroutine.
func sleepLoop(id uint64, start time.Time, due, period time.Duration, m *measure.Meter, done <-chan struct{}) {
	time.Sleep(due - time.Since(start))
	for {
		select {
		case <-done:
			return
		default:
		}
		beatload.Beat(m, id, time.Since(start)-due)
		due += period
		time.Sleep(period)
	}
}
