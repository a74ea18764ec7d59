package wheel_test

import (
	"fmt"
	"time"

	"github.com/beatwheel/beatwheel/wheel"
)

// A periodic beat: the Handler re-arms each entry one period after the time
// it was due, so the schedule never drifts. A Manual wheel makes the output
// deterministic; drop Manual and Advance to run on the real clock.
func Example() {
	const period = 5 * time.Second
	var w *wheel.Wheel
	w, err := wheel.New(wheel.Config{Manual: true}, func(batch []wheel.Expired) {
		for _, e := range batch {
			fmt.Printf("beat instance %d due %v\n", e.Data, e.Due)
			if err := w.Reset(e.Timer, e.Due+period); err != nil {
				fmt.Println(err)
			}
		}
	})
	if err != nil {
		panic(err)
	}
	defer w.Stop()

	for i := range 2 {
		if _, err := w.Add(time.Duration(i+1)*time.Second, uint32(i)); err != nil {
			panic(err)
		}
	}
	_ = w.Advance(11 * time.Second)
	// Output:
	// beat instance 0 due 1s
	// beat instance 1 due 2s
	// beat instance 0 due 6s
	// beat instance 1 due 7s
	// beat instance 0 due 11s
}

// Cancel tells whether it stopped the entry in time.
func ExampleWheel_Cancel() {
	w, err := wheel.New(wheel.Config{Manual: true}, func(batch []wheel.Expired) {
		fmt.Println("fired", batch[0].Data)
	})
	if err != nil {
		panic(err)
	}
	defer w.Stop()
	a, _ := w.Add(time.Second, 1)
	b, _ := w.Add(time.Second, 2)
	fmt.Println("cancelled a in time:", w.Cancel(a))
	_ = w.Advance(time.Second)
	fmt.Println("cancelled b in time:", w.Cancel(b))
	// Output:
	// cancelled a in time: true
	// fired 2
	// cancelled b in time: false
}
