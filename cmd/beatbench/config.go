package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

// config is what one run does, from the command line.
type config struct {
	instances int           // beats kept alive
	period    time.Duration // between two beats of an instance
	duration  time.Duration // of the run, after adding
	tick      time.Duration // scheduler resolution
	scheduler string        // a name from schedulers
	transport string        // a name from transports
}

// errUsage is wrapped by every invalid flag value.
var errUsage = errors.New("invalid flags")

// parseFlags parses the command line into a config and validates it. -h
// prints usage to stderr and returns flag.ErrHelp.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("beatbench", flag.ContinueOnError)
	fs.IntVar(&cfg.instances, "instances", 100_000, "number of instances to keep alive")
	fs.DurationVar(&cfg.period, "period", 5*time.Second, "beat period of every instance")
	fs.DurationVar(&cfg.duration, "duration", 30*time.Second, "how long to run after adding the instances")
	fs.DurationVar(&cfg.tick, "tick", 10*time.Millisecond, "scheduler tick")
	fs.StringVar(&cfg.scheduler, "scheduler", "wheel", "scheduler: "+strings.Join(schedulerNames(), " or "))
	fs.StringVar(&cfg.transport, "transport", "none", transportUsage())
	// The flag package prints its own errors and usage; we print one line
	// instead, and usage only when asked.
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stderr)
			fmt.Fprintf(stderr, "Usage: beatbench [flags]\n\nKeeps N no-op heartbeats alive on a scheduler and reports their cost.\n\nFlags:\n")
			fs.PrintDefaults()
			return cfg, err
		}
		return cfg, fmt.Errorf("%w: %w", errUsage, err)
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	return cfg, cfg.validate()
}

// validate reports the first bad value in c.
func (c config) validate() error {
	switch {
	case c.instances < 1:
		return fmt.Errorf("%w: -instances %d: need at least 1", errUsage, c.instances)
	case c.period <= 0:
		return fmt.Errorf("%w: -period %v: must be positive", errUsage, c.period)
	case c.duration <= 0:
		return fmt.Errorf("%w: -duration %v: must be positive", errUsage, c.duration)
	case c.tick <= 0:
		return fmt.Errorf("%w: -tick %v: must be positive", errUsage, c.tick)
	}
	if _, ok := lookupScheduler(c.scheduler); !ok {
		return fmt.Errorf("%w: -scheduler %q: want %s", errUsage, c.scheduler, strings.Join(schedulerNames(), " or "))
	}
	if _, ok := lookupTransport(c.transport); !ok {
		return fmt.Errorf("%w: -transport %q: want %s", errUsage, c.transport, strings.Join(transportNames(), " or "))
	}
	return nil
}

// transportUsage describes the -transport choices.
func transportUsage() string {
	var sb strings.Builder
	sb.WriteString("how beats are kept and sent:")
	for _, t := range transports() {
		sb.WriteString("\n  " + t.name + ": " + t.about)
	}
	return sb.String()
}
