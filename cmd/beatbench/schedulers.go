package main

import (
	"fmt"
	"time"

	"github.com/beatwheel/beatwheel/internal/beatload"
	"github.com/beatwheel/beatwheel/wheel"
	"github.com/beatwheel/beatwheel/wheel/russellluo"
)

// scheduler is one -scheduler choice.
type scheduler struct {
	name string
	// build returns the constructor of a scheduler with the given tick.
	build func(tick time.Duration) beatload.NewScheduler
	// checkTick says why the scheduler cannot run with tick, or nil.
	checkTick func(tick time.Duration) error
}

// schedulers returns every -scheduler choice, the default first.
func schedulers() []scheduler {
	return []scheduler{
		{name: "wheel", build: func(tick time.Duration) beatload.NewScheduler {
			return func(h wheel.Handler) (wheel.Scheduler, error) {
				return wheel.New(wheel.Config{Tick: tick}, h)
			}
		}, checkTick: func(tick time.Duration) error {
			if tick < wheel.MinTick {
				return fmt.Errorf("below the wheel's minimum of %v", wheel.MinTick)
			}
			return nil
		}},
		{name: "russellluo", build: func(tick time.Duration) beatload.NewScheduler {
			return func(h wheel.Handler) (wheel.Scheduler, error) {
				return russellluo.New(russellluo.Config{Tick: tick}, h)
			}
		}, checkTick: func(tick time.Duration) error {
			if tick < russellluo.MinTick || tick%time.Millisecond != 0 {
				return fmt.Errorf("russellluo wants a whole number of milliseconds of at least %v", russellluo.MinTick)
			}
			return nil
		}},
	}
}

func (c scheduler) choiceName() string { return c.name }

// lookupScheduler returns the choice called name.
func lookupScheduler(name string) (scheduler, bool) { return lookup(schedulers(), name) }

// schedulerNames returns the names of every choice, the default first.
func schedulerNames() []string { return names(schedulers()) }
