package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/beatwheel/beatwheel/internal/report"
	"github.com/beatwheel/beatwheel/internal/report/page"
)

// plotConfig is what beatbench plot does.
type plotConfig struct {
	files []string // JSON reports
	title string
}

// plotUsage is printed by plot -h.
const plotUsage = `Usage: beatbench plot [flags] FILE... > out.html

Draws the JSON reports (run -json) as one self-contained HTML page: a
chart per quantity (beats/s sent and ok, failures/s by kind, p99
lateness and send latency, CPU, context switches, RSS, registrations),
every report on the same axes, time counted from each run's start,
beside each report's summary. Use it to compare runs: two shards, two
versions, two servers. The page needs no network to open. Exit status: 0 ok, 1 a file is
unreadable, 2 bad flags.

Flags:
`

// parsePlotFlags parses the plot command line.
func parsePlotFlags(args []string, stderr io.Writer) (plotConfig, error) {
	var c plotConfig
	fs := flag.NewFlagSet("beatbench plot", flag.ContinueOnError)
	fs.StringVar(&c.title, "title", "", "the page's title (default: the files' names)")
	var err error
	c.files, err = parseFiles(fs, args, stderr, plotUsage, "plot")
	return c, err
}

// plot reads the reports and writes them to out as one HTML page.
func plot(c plotConfig, out io.Writer) error {
	runs := make([]page.Run, len(c.files))
	names := make([]string, len(c.files))
	for i, f := range c.files {
		r, err := report.ReadFile(f)
		if err != nil {
			return err
		}
		names[i] = strings.TrimSuffix(filepath.Base(f), ".json")
		runs[i] = page.Run{Name: names[i], Report: r}
	}
	title := c.title
	if title == "" {
		title = "beatbench: " + strings.Join(names, ", ")
	}
	return page.Write(out, title, runs...)
}

// writeHTML writes rep as an HTML page to path, atomically.
func writeHTML(path string, rep *report.Report) error {
	title := fmt.Sprintf("beatbench: %d instances, period %v, transport %s, %s", rep.Instances(), rep.BeatPeriod(),
		rep.Config.Transport, rep.Start.Format("2006-01-02 15:04:05 MST"))
	err := report.WriteAtomic(path, func(w io.Writer) error {
		return page.Write(w, title, page.Run{Name: "Summary", Report: rep})
	})
	if err != nil {
		return fmt.Errorf("writing the HTML report: %w", err)
	}
	return nil
}
