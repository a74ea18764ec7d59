package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/beatwheel/beatwheel/transport/nacostest"
)

// serveConfig is what beatbench serve does.
type serveConfig struct {
	server   nacostest.Config
	duration time.Duration // 0: until interrupted
}

// serveUsage is printed by serve -h.
const serveUsage = `Usage: beatbench serve [flags]

Runs the nacostest Nacos v1 naming server standalone, with fault injection,
and prints its counters every second until interrupted.

Flags:
`

// parseServeFlags parses the serve command line.
func parseServeFlags(args []string, stderr io.Writer) (serveConfig, error) {
	var c serveConfig
	fs := flag.NewFlagSet("beatbench serve", flag.ContinueOnError)
	fs.StringVar(&c.server.Addr, "addr", "127.0.0.1:8848", "listen address")
	fs.DurationVar(&c.server.ClientBeatInterval, "beat-interval", 5*time.Second, "clientBeatInterval sent to clients")
	fs.DurationVar(&c.server.UnhealthyAfter, "unhealthy-after", 15*time.Second, "mark an instance unhealthy after this long without a beat")
	fs.DurationVar(&c.server.RemoveAfter, "remove-after", 30*time.Second, "remove an instance after this long without a beat")
	fs.StringVar(&c.server.Username, "username", "", "require login as this user")
	fs.StringVar(&c.server.Password, "password", "", "the user's password")
	fs.DurationVar(&c.server.Faults.Latency, "latency", 0, "fault: added before answering each naming request")
	fs.Float64Var(&c.server.Faults.ErrorRate, "error-rate", 0, "fault: fraction of requests answered HTTP 500")
	fs.Float64Var(&c.server.Faults.ResetRate, "reset-rate", 0, "fault: fraction of requests whose connection is reset")
	fs.Float64Var(&c.server.Faults.MalformedRate, "malformed-rate", 0, "fault: fraction of requests answered with a body that is not JSON")
	fs.DurationVar(&c.duration, "duration", 0, "stop after this long (0: run until interrupted)")
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stderr)
			fmt.Fprint(stderr, serveUsage)
			fs.PrintDefaults()
			return c, err
		}
		return c, fmt.Errorf("%w: %w", errUsage, err)
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if c.duration < 0 {
		return c, fmt.Errorf("%w: -duration %v: must not be negative", errUsage, c.duration)
	}
	return c, nil
}

// serve runs the server until ctx is done or the duration passes, printing
// its counters every second.
func serve(ctx context.Context, c serveConfig, out io.Writer) error {
	srv, err := nacostest.Start(c.server)
	if errors.Is(err, nacostest.ErrConfig) {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if err != nil {
		return err
	}
	defer srv.Close()
	p := &printer{w: out}
	p.printf("beatbench serve: Nacos v1 naming on %s (beat interval %v, unhealthy after %v, removed after %v)\n",
		srv.Addr(), c.server.ClientBeatInterval, c.server.UnhealthyAfter, c.server.RemoveAfter)
	p.printf("%8s %10s %9s %9s %8s %8s %9s %9s\n", "time", "instances", "beats/s", "light/s", "reg/s", "20404/s", "healthy", "unhealthy")
	var deadline <-chan time.Time
	if c.duration > 0 {
		deadline = time.After(c.duration)
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	start := time.Now()
	prev, prevAt := srv.Counters(), start
	for {
		select {
		case <-ctx.Done():
			return srv.Close()
		case <-deadline:
			return srv.Close()
		case now := <-ticker.C:
			cur := srv.Counters()
			s := now.Sub(prevAt).Seconds()
			p.printf("%8s %10d %9.0f %9.0f %8.0f %8.0f %9d %9d\n", now.Sub(start).Round(100*time.Millisecond), srv.Len(),
				float64(cur.Beats-prev.Beats)/s, float64(cur.LightBeats-prev.LightBeats)/s,
				float64(cur.Registrations-prev.Registrations)/s, float64(cur.NotFound-prev.NotFound)/s,
				cur.Healthy, cur.Unhealthy)
			prev, prevAt = cur, now
			if p.err != nil {
				return p.err
			}
		}
	}
}
