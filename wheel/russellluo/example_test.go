package russellluo_test

import (
	"fmt"
	"time"

	"github.com/beatwheel/beatwheel/wheel"
	"github.com/beatwheel/beatwheel/wheel/russellluo"
)

// The adapter is a wheel.Scheduler like *wheel.Wheel: here one entry beats
// three times, re-armed from the Handler one period after it was due.
func Example() {
	const period = 20 * time.Millisecond
	done := make(chan struct{})
	var s *russellluo.Scheduler
	beats := 0
	s, err := russellluo.New(russellluo.Config{Tick: time.Millisecond}, func(batch []wheel.Expired) {
		for _, e := range batch {
			beats++
			fmt.Println("beat of instance", e.Data)
			if beats == 3 {
				close(done)
				continue
			}
			_ = s.Reset(e.Timer, e.Due+period)
		}
	})
	if err != nil {
		panic(err)
	}
	defer s.Stop()
	if _, err := s.Add(s.Now()+period, 42); err != nil {
		panic(err)
	}
	<-done
	// Output:
	// beat of instance 42
	// beat of instance 42
	// beat of instance 42
}
