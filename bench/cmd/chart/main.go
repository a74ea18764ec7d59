package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

// errUsage marks a bad command line.
var errUsage = errors.New("bad usage")

// config is the command line.
type config struct {
	csv, bench, out        string
	instances              int
	command, machine, date string
}

// parseFlags parses args.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("chart", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.csv, "csv", "comparison.csv", "the figures: read, and written first when -bench is given")
	fs.StringVar(&c.bench, "bench", "", "fill -csv from this `file` of go test -bench KeepAlive output first")
	fs.IntVar(&c.instances, "n", 1_000_000, "with -bench: the instance count whose rows to take")
	fs.StringVar(&c.command, "command", "cd bench && go test -run '^$' -bench KeepAlive -benchtime=1x -timeout 60m", "with -bench: the command that produced it, for the CSV")
	fs.StringVar(&c.machine, "machine", "", "with -bench: the machine it ran on (default: the cpu line of the output)")
	fs.StringVar(&c.date, "date", "", "with -bench: when it ran (required with -bench)")
	fs.StringVar(&c.out, "o", "", "draw the chart to this PNG `file`")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	switch {
	case fs.NArg() > 0:
		return c, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	case c.bench == "" && c.out == "":
		return c, fmt.Errorf("%w: nothing to do: give -o, -bench or both", errUsage)
	case c.bench != "" && c.date == "":
		return c, fmt.Errorf("%w: -bench needs -date, when the bench ran", errUsage)
	}
	return c, nil
}

// run runs the command line and returns the exit status.
func run(args []string, stderr io.Writer) int {
	c, err := parseFlags(args, stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case err != nil:
		fmt.Fprintf(stderr, "chart: %v\n", err)
		return 2
	}
	if err := chart(c); err != nil {
		fmt.Fprintf(stderr, "chart: %v\n", err)
		return 1
	}
	return 0
}

// chart refills the CSV from bench output when asked, then draws it.
func chart(c config) error {
	if c.bench != "" {
		if err := refill(c); err != nil {
			return err
		}
	}
	if c.out == "" {
		return nil
	}
	f, err := os.Open(c.csv)
	if err != nil {
		return err
	}
	d, err := readCSV(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", c.csv, err)
	}
	return writeFile(c.out, func(w io.Writer) error { return drawPNG(w, d) })
}

// refill writes the CSV from the bench output.
func refill(c config) error {
	f, err := os.Open(c.bench)
	if err != nil {
		return err
	}
	d, err := parseBench(f, c.instances)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", c.bench, err)
	}
	d.command, d.date = c.command, c.date
	if c.machine != "" {
		d.machine = c.machine
	}
	return writeFile(c.csv, func(w io.Writer) error { return writeCSV(w, d) })
}

// writeFile creates name and writes it with write.
func writeFile(name string, write func(io.Writer) error) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
