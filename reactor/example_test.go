package reactor_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/beatwheel/beatwheel/reactor"
	"github.com/beatwheel/beatwheel/wheel"
)

// printer is a Transport that prints what it would send and says OK.
type printer struct{ mu sync.Mutex }

func (p *printer) SendBeats(_ context.Context, beats []reactor.Beat, results []reactor.BeatResult) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, b := range beats {
		fmt.Printf("beat %s light=%v\n", b.Info.Key(), b.Light)
		results[i] = reactor.BeatResult{Code: reactor.CodeOK, ClientBeatInterval: 5 * time.Second, LightBeatEnabled: true}
	}
}

func (p *printer) Register(_ context.Context, b *reactor.BeatInfo) error {
	fmt.Printf("register %s weight=%v\n", b.Key(), b.Weight)
	return nil
}

func (p *printer) Deregister(_ context.Context, b *reactor.BeatInfo) error {
	fmt.Printf("deregister %s stopped=%v\n", b.Key(), b.Stopped())
	return nil
}

// The main flow: start a Reactor, add an instance, let it beat, close it.
// A Manual wheel stands in for the clock so the output is deterministic; in
// a program, leave Config.Scheduler nil and time runs by itself.
func Example() {
	var clock *wheel.Wheel
	r, err := reactor.New(reactor.Config{
		Transport: &printer{},
		Senders:   1,
		Scheduler: func(h wheel.Handler) (wheel.Scheduler, error) {
			w, err := wheel.New(wheel.Config{Manual: true}, h)
			clock = w
			return w, err
		},
	})
	if err != nil {
		panic(err)
	}
	err = r.Add(&reactor.BeatInfo{
		ServiceName: "DEFAULT_GROUP@@orders",
		IP:          "10.0.0.7",
		Port:        8080,
		Weight:      1,
	})
	if err != nil {
		panic(err)
	}
	for now := time.Duration(0); now <= 15*time.Second; now += 100 * time.Millisecond {
		_ = clock.Advance(now)
		for r.Stats().InFlight > 0 || r.Stats().Sent < uint64(now/(5*time.Second)) {
			time.Sleep(time.Millisecond) // let the sender finish this beat
		}
	}
	st := r.Stats()
	fmt.Println("sent", st.Sent, "ok", st.OK, "light", st.Light)
	if err := r.Close(context.Background()); err != nil {
		panic(err)
	}
	// Output:
	// beat DEFAULT_GROUP@@orders#10.0.0.7#8080 light=false
	// beat DEFAULT_GROUP@@orders#10.0.0.7#8080 light=true
	// beat DEFAULT_GROUP@@orders#10.0.0.7#8080 light=true
	// sent 3 ok 3 light 2
}

// forgetful is a Transport whose server has forgotten every instance until
// it is registered again: light beats get 20404, full ones register it.
type forgetful struct{ known sync.Map }

func (f *forgetful) SendBeats(_ context.Context, beats []reactor.Beat, results []reactor.BeatResult) {
	for i, b := range beats {
		if _, ok := f.known.Load(b.Info); !ok && b.Light {
			results[i] = reactor.BeatResult{Code: reactor.CodeNotFound}
			continue
		}
		f.known.Store(b.Info, true)
		results[i] = reactor.BeatResult{Code: reactor.CodeOK, LightBeatEnabled: true}
	}
}

func (f *forgetful) Register(_ context.Context, b *reactor.BeatInfo) error {
	f.known.Store(b, true)
	return nil
}

func (f *forgetful) Deregister(context.Context, *reactor.BeatInfo) error { return nil }

// An Observer hears when an instance stops being accepted and when it is
// again, nothing in between: here the server forgets the instance after
// its first beat, the next (light) beat gets 20404, the Reactor registers
// the instance again, and its next beat, full, is accepted.
func ExampleConfig_observer() {
	var (
		clock              *wheel.Wheel
		notFound, reRegged atomic.Int32
	)
	tr := &forgetful{}
	r, err := reactor.New(reactor.Config{
		Transport: tr,
		Senders:   1,
		Observer: func(t reactor.Transition) {
			fmt.Println(t.Info.Key(), t.State, "kind:", t.Kind)
			switch t.State {
			case reactor.StateNotFound:
				notFound.Add(1)
			case reactor.StateReregistered:
				reRegged.Add(1)
			}
		},
		Scheduler: func(h wheel.Handler) (wheel.Scheduler, error) {
			w, err := wheel.New(wheel.Config{Manual: true}, h)
			clock = w
			return w, err
		},
	})
	if err != nil {
		panic(err)
	}
	b := &reactor.BeatInfo{ServiceName: "DEFAULT_GROUP@@orders", IP: "10.0.0.7", Port: 8080, Weight: 1}
	if err := r.Add(b); err != nil {
		panic(err)
	}
	for now := time.Duration(0); now <= 15*time.Second; now += 100 * time.Millisecond {
		_ = clock.Advance(now)
		// Let the sender finish this beat (Sent counts it once its answer
		// was handled), and the re-registration a 20404 queued.
		for r.Stats().InFlight > 0 || r.Stats().Sent < uint64(now/(5*time.Second)) || reRegged.Load() < notFound.Load() {
			time.Sleep(time.Millisecond)
		}
		if now == 5*time.Second {
			tr.known.Delete(b) // the server restarts
		}
	}
	if err := r.Close(context.Background()); err != nil {
		panic(err)
	}
	// Output:
	// DEFAULT_GROUP@@orders#10.0.0.7#8080 not found kind: not found
	// DEFAULT_GROUP@@orders#10.0.0.7#8080 re-registered kind: none
	// DEFAULT_GROUP@@orders#10.0.0.7#8080 recovered kind: none
}

// Register and Deregister start and end an instance as the Nacos client's
// registerInstance and deregisterInstance do: register, then beat; stop
// beating, then deregister. A BeatInfo without a Weight registers 1.0.
func ExampleReactor_Register() {
	r, err := reactor.New(reactor.Config{
		Transport: &printer{},
		// A Manual wheel that is never advanced: no beat in the output.
		Scheduler: func(h wheel.Handler) (wheel.Scheduler, error) { return wheel.New(wheel.Config{Manual: true}, h) },
	})
	if err != nil {
		panic(err)
	}
	defer r.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b := &reactor.BeatInfo{ServiceName: "DEFAULT_GROUP@@orders", IP: "10.0.0.7", Port: 8080}
	if err := r.Register(ctx, b); err != nil {
		panic(err) // wraps reactor.ErrRegister and the Transport's error
	}
	fmt.Println("beating:", r.Len())
	if err := r.Deregister(ctx, b.ServiceName, b.IP, b.Port); err != nil {
		panic(err)
	}
	fmt.Println("beating:", r.Len())
	// Output:
	// register DEFAULT_GROUP@@orders#10.0.0.7#8080 weight=1
	// beating: 1
	// deregister DEFAULT_GROUP@@orders#10.0.0.7#8080 stopped=true
	// beating: 0
}
