package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"time"

	"github.com/beatwheel/beatwheel/reactor"
)

// config is what the flags say.
type config struct {
	server   string
	rate     int           // beats a second, all connections together
	conns    int           // connections kept at once
	perWrite int           // the most beats in one write
	tick     time.Duration // how often each connection sends its share
	warmup   time.Duration // before the window
	duration time.Duration // the window
}

// share is the beats one connection sends at each tick for the run to send
// cfg.rate a second; at least one.
func (c config) share() int {
	return max(1, int(math.Round(float64(c.rate)*c.tick.Seconds()/float64(c.conns))))
}

func main() {
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "floor:", err)
		}
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	res.print(os.Stdout)
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("floor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	fs.StringVar(&cfg.server, "server", "", "the Nacos server's host:port (required)")
	fs.IntVar(&cfg.rate, "rate", 200_000, "beats a second in all (1M instances every 5 s: 200000)")
	fs.IntVar(&cfg.conns, "conns", 16, "connections at once (beatwheel's transport.DefaultPipelineConns)")
	fs.IntVar(&cfg.perWrite, "per-write", 1<<20, "the most beats in one write (fewer when the server's per-connection limit says so)")
	fs.DurationVar(&cfg.tick, "tick", reactor.DefaultTick, "how often the beats go out, as a Reactor's scheduler ticks")
	fs.DurationVar(&cfg.warmup, "warmup", 3*time.Second, "run this long before measuring")
	fs.DurationVar(&cfg.duration, "duration", 15*time.Second, "measure for this long")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	switch {
	case cfg.server == "":
		return config{}, errors.New("-server is required")
	case fs.NArg() > 0:
		return config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case cfg.rate < 1:
		return config{}, fmt.Errorf("-rate %d: must be at least 1", cfg.rate)
	case cfg.conns < 1:
		return config{}, fmt.Errorf("-conns %d: must be at least 1", cfg.conns)
	case cfg.perWrite < 1:
		return config{}, fmt.Errorf("-per-write %d: must be at least 1", cfg.perWrite)
	case cfg.tick <= 0:
		return config{}, fmt.Errorf("-tick %v: must be positive", cfg.tick)
	case cfg.warmup < 0:
		return config{}, fmt.Errorf("-warmup %v: must not be negative", cfg.warmup)
	case cfg.duration <= 0:
		return config{}, fmt.Errorf("-duration %v: must be positive", cfg.duration)
	}
	return cfg, nil
}
