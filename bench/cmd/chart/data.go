package main

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ways are the rows of the comparison, in the order drawn: bench's
// sub-benchmark name and the label a reader sees.
var ways = []struct{ name, label string }{
	{"wheel", "beatwheel: wheel"},
	{"reactor", "beatwheel: reactor"},
	{"russellluo", "RussellLuo/timingwheel"},
	{"afterfunc", "time.AfterFunc"},
	{"goroutine", "goroutine per instance"},
}

// errIncomplete is returned when the data lacks a way.
var errIncomplete = errors.New("chart: a way is missing")

// row is one way's figures.
type row struct {
	way              string  // bench's name for it: wheel, reactor, ...
	instances        int     // N
	nsPerBeat        float64 // CPU ns per beat
	bytesPerInstance float64 // heap bytes per instance
}

// data is the comparison: where the figures come from, and one row per way.
type data struct {
	command, machine, date string
	rows                   []row
}

// csvHeader is the CSV's column line.
var csvHeader = []string{"way", "instances", "ns_per_beat", "bytes_per_instance"}

// readCSV reads data written by writeCSV: "# key: value" comment lines
// (command, machine, date), the header, then a row per way.
func readCSV(r io.Reader) (data, error) {
	var d data
	var body strings.Builder
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if c, ok := strings.CutPrefix(line, "#"); ok {
			k, v, _ := strings.Cut(c, ":")
			switch strings.TrimSpace(k) {
			case "command":
				d.command = strings.TrimSpace(v)
			case "machine":
				d.machine = strings.TrimSpace(v)
			case "date":
				d.date = strings.TrimSpace(v)
			}
			continue
		}
		body.WriteString(line + "\n")
	}
	if err := sc.Err(); err != nil {
		return d, err
	}
	recs, err := csv.NewReader(strings.NewReader(body.String())).ReadAll()
	if err != nil {
		return d, fmt.Errorf("chart: %w", err)
	}
	if len(recs) == 0 || strings.Join(recs[0], ",") != strings.Join(csvHeader, ",") {
		return d, fmt.Errorf("chart: the CSV does not start with %s", strings.Join(csvHeader, ","))
	}
	for i, rec := range recs[1:] {
		n, err1 := strconv.Atoi(rec[1])
		ns, err2 := strconv.ParseFloat(rec[2], 64)
		b, err3 := strconv.ParseFloat(rec[3], 64)
		if err := errors.Join(err1, err2, err3); err != nil {
			return d, fmt.Errorf("chart: CSV row %d: %w", i+1, err)
		}
		d.rows = append(d.rows, row{way: rec[0], instances: n, nsPerBeat: ns, bytesPerInstance: b})
	}
	return d, d.complete()
}

// writeCSV writes d as readCSV reads it.
func writeCSV(w io.Writer, d data) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "# The ways to keep N heartbeats alive (no-op send, 5 s period): bench's KeepAlive rows.")
	fmt.Fprintln(bw, "# Drawn by: go run ./cmd/chart -o ../docs/comparison.png; refilled by: go run ./cmd/chart -bench FILE")
	fmt.Fprintf(bw, "# command: %s\n# machine: %s\n# date: %s\n", d.command, d.machine, d.date)
	cw := csv.NewWriter(bw)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	for _, r := range d.rows {
		err := cw.Write([]string{r.way, strconv.Itoa(r.instances),
			strconv.FormatFloat(r.nsPerBeat, 'f', -1, 64), strconv.FormatFloat(r.bytesPerInstance, 'f', -1, 64)})
		if err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// complete checks that d has exactly one row for each way, at one N.
func (d data) complete() error {
	for _, w := range ways {
		n := 0
		for _, r := range d.rows {
			if r.way == w.name {
				n++
			}
		}
		if n != 1 {
			return fmt.Errorf("%w: %d rows for %s, want 1", errIncomplete, n, w.name)
		}
	}
	for _, r := range d.rows {
		if r.instances != d.rows[0].instances {
			return fmt.Errorf("chart: rows at %d and %d instances: one N only", d.rows[0].instances, r.instances)
		}
	}
	return nil
}

// row returns the row of way name (complete has checked there is one).
func (d data) row(name string) row {
	for _, r := range d.rows {
		if r.way == name {
			return r
		}
	}
	return row{}
}

// parseBench reads `go test -bench KeepAlive` output and returns the rows
// of the ways at n instances, in ways' order, and the machine it names
// ("cpu: ..." and the GOMAXPROCS suffix of the benchmark names).
func parseBench(r io.Reader, n int) (data, error) {
	var d data
	cpu, procs := "", ""
	found := map[string]row{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if c, ok := strings.CutPrefix(line, "cpu: "); ok {
			cpu = strings.TrimSpace(c)
			continue
		}
		f := strings.Fields(line)
		name, ok := strings.CutPrefix(firstOr(f), "BenchmarkKeepAlive/")
		if !ok {
			continue
		}
		// name is way/n=N-P, P being GOMAXPROCS (absent when it is 1).
		way, size, _ := strings.Cut(name, "/")
		size, p, _ := strings.Cut(size, "-")
		if size != "n="+strconv.Itoa(n) {
			continue
		}
		if p != "" {
			procs = p
		}
		rw := row{way: way, instances: n}
		for i := 2; i+1 < len(f); i += 2 { // f[1] is the iteration count
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return d, fmt.Errorf("chart: %q: %w", line, err)
			}
			switch f[i+1] {
			case "ns/beat":
				rw.nsPerBeat = v
			case "B/instance":
				rw.bytesPerInstance = v
			}
		}
		found[way] = rw
	}
	if err := sc.Err(); err != nil {
		return d, err
	}
	for _, w := range ways {
		if rw, ok := found[w.name]; ok {
			d.rows = append(d.rows, rw)
		}
	}
	d.machine = cpu
	if procs != "" {
		d.machine += ", GOMAXPROCS " + procs
	}
	return d, d.complete()
}

func firstOr(f []string) string {
	if len(f) == 0 {
		return ""
	}
	return f[0]
}
