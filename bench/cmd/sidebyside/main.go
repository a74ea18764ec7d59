package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// config is what the flags say.
type config struct {
	a, b         []string
	rounds       int
	delayA       time.Duration
	tail, trim   int
	metric       *regexp.Regexp
	metricSuffix string
}

func main() {
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "sidebyside:", err)
		}
		os.Exit(2)
	}
	if err := run(cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "sidebyside:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("sidebyside", flag.ContinueOnError)
	fs.SetOutput(stderr)
	a := fs.String("a", "", "command A (required)")
	b := fs.String("b", "", "command B (required)")
	rounds := fs.Int("rounds", 3, "rounds to run")
	delayA := fs.Duration("delay-a", 0, "start A this long after B")
	tail := fs.Int("tail", 16, "seconds at the end of each command that hold its window")
	trim := fs.Int("trim", 2, "seconds at the very end to leave out (stopping)")
	metric := fs.String("metric", "ns/beat", "unit of the figure to read from each command's output")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	switch {
	case *a == "" || *b == "":
		return config{}, errors.New("-a and -b are required")
	case *rounds < 1:
		return config{}, fmt.Errorf("-rounds %d: must be at least 1", *rounds)
	case *trim < 0 || *tail <= *trim:
		return config{}, fmt.Errorf("-tail %d, -trim %d: need 0 <= trim < tail", *tail, *trim)
	case *delayA < 0:
		return config{}, fmt.Errorf("-delay-a %v: must not be negative", *delayA)
	}
	return config{
		a: strings.Fields(*a), b: strings.Fields(*b),
		rounds: *rounds, delayA: *delayA, tail: *tail, trim: *trim,
		metric:       regexp.MustCompile(`([0-9.]+)\s+` + regexp.QuoteMeta(*metric) + `\b`),
		metricSuffix: *metric,
	}, nil
}

// side is one running command and what was seen of it.
type side struct {
	cmd     *exec.Cmd
	out     bytes.Buffer
	perSec  []float64 // CPU milliseconds per second of wall time
	lastCPU time.Duration
	lastAt  time.Time
	done    chan error
	err     error
}

func start(args []string) (*side, error) {
	s := &side{cmd: exec.Command(args[0], args[1:]...), done: make(chan error, 1)}
	s.cmd.Stdout, s.cmd.Stderr = &s.out, &s.out
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	s.lastAt = time.Now()
	go func() { s.done <- s.cmd.Wait() }()
	return s, nil
}

// sample records the CPU s spent since its last sample, unless it ended.
func (s *side) sample() {
	if s.done == nil {
		return
	}
	select {
	case s.err = <-s.done:
		s.done = nil
		return
	default:
	}
	cpu, err := processCPU(s.cmd.Process.Pid)
	if err != nil {
		return
	}
	now := time.Now()
	s.perSec = append(s.perSec, float64(cpu-s.lastCPU)/float64(time.Millisecond)/now.Sub(s.lastAt).Seconds())
	s.lastCPU, s.lastAt = cpu, now
}

// processCPU returns the CPU time of every thread of process pid.
func processCPU(pid int) (time.Duration, error) {
	files, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if err != nil || len(files) == 0 {
		return 0, fmt.Errorf("no schedstat for process %d", pid)
	}
	var sum time.Duration
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // the thread ended
		}
		ns, err := strconv.ParseInt(strings.Fields(string(b))[0], 10, 64)
		if err == nil {
			sum += time.Duration(ns)
		}
	}
	return sum, nil
}

func run(cfg config, w io.Writer) error {
	var ratios, metricRatios []float64
	for r := 1; r <= cfg.rounds; r++ {
		b, err := start(cfg.b)
		if err != nil {
			return fmt.Errorf("command B: %w", err)
		}
		time.Sleep(cfg.delayA)
		a, err := start(cfg.a)
		if err != nil {
			_ = b.cmd.Process.Kill()
			return fmt.Errorf("command A: %w", err)
		}
		for a.done != nil || b.done != nil {
			time.Sleep(time.Second)
			a.sample()
			b.sample()
		}
		for name, s := range map[string]*side{"A": a, "B": b} {
			if s.err != nil {
				return fmt.Errorf("round %d: command %s: %w\n%s", r, name, s.err, s.out.Bytes())
			}
		}
		ma, mb := window(a.perSec, cfg.tail, cfg.trim), window(b.perSec, cfg.tail, cfg.trim)
		if ma <= 0 || mb <= 0 {
			return fmt.Errorf("round %d: a command ran too briefly to measure (%d and %d samples)", r, len(a.perSec), len(b.perSec))
		}
		ratios = append(ratios, mb/ma)
		fa, fb := lastFigure(cfg.metric, a.out.Bytes()), lastFigure(cfg.metric, b.out.Bytes())
		line := fmt.Sprintf("round %d: CPU per second A %.1f ms, B %.1f ms: B/A %.3f", r, ma, mb, mb/ma)
		if fa > 0 && fb > 0 {
			metricRatios = append(metricRatios, fb/fa)
			line += fmt.Sprintf("; %s A %g, B %g: B/A %.3f", cfg.metricSuffix, fa, fb, fb/fa)
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintf(w, "CPU per second, B/A: median %.3f of %s\n", median(ratios), list(ratios))
	if len(metricRatios) > 0 {
		fmt.Fprintf(w, "%s, B/A: median %.3f of %s\n", cfg.metricSuffix, median(metricRatios), list(metricRatios))
	}
	return nil
}

// window returns the median of perSec over its last tail samples but the
// final trim, or 0 if there are not that many.
func window(perSec []float64, tail, trim int) float64 {
	if len(perSec) < tail {
		return 0
	}
	return median(perSec[len(perSec)-tail : len(perSec)-trim])
}

// lastFigure returns the last number re matches in out (its first group),
// or 0.
func lastFigure(re *regexp.Regexp, out []byte) float64 {
	m := re.FindAllSubmatch(out, -1)
	if len(m) == 0 {
		return 0
	}
	f, _ := strconv.ParseFloat(string(m[len(m)-1][1]), 64)
	return f
}

// median returns the median of v, or 0 for none.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(v))
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

func list(v []float64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = strconv.FormatFloat(x, 'f', 3, 64)
	}
	return "[" + strings.Join(parts, " ") + "]"
}
