package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/beatwheel/beatwheel/internal/report"
)

// mergeConfig is what beatbench merge does.
type mergeConfig struct {
	files        []string // JSON reports of shard runs
	json         string   // write the merged report here too; "": don't
	html         string   // write the merged report as an HTML page here too; "": don't
	minDelivered float64  // as run's -min-delivered
}

// mergeUsage is printed by merge -h.
const mergeUsage = `Usage: beatbench merge [flags] FILE...

Adds up the JSON reports (run -json) of the shards of one run (run -shard)
into one report and prints its summary. Counts and CPU are summed and
delivered % recomputed; latency percentiles are the largest of the
shards' (an upper bound). Exit status: 0 ok, 1 a file is unreadable or the
files are not shards of one run, 2 bad flags, 3 delivered below
-min-delivered.

Flags:
`

// parseMergeFlags parses the merge command line.
func parseMergeFlags(args []string, stderr io.Writer) (mergeConfig, error) {
	var c mergeConfig
	fs := flag.NewFlagSet("beatbench merge", flag.ContinueOnError)
	fs.StringVar(&c.json, "json", "", "also write the merged report as JSON to `file`")
	fs.StringVar(&c.html, "html", "", "also write the merged summary as an HTML page to `file` (for charts, plot the shards' reports)")
	fs.Float64Var(&c.minDelivered, "min-delivered", 0, "exit 3 when under this `percent` of expected beats is delivered (0: never)")
	var err error
	if c.files, err = parseFiles(fs, args, stderr, mergeUsage, "merge"); err != nil {
		return c, err
	}
	return c, checkMinDelivered(c.minDelivered)
}

// parseFiles parses the flags of fs and the report files of a command
// (verb: what it does with them) among args, flags before or after the
// files: merge *.json -json all.json. -h prints usage and fs's flags to
// stderr and returns flag.ErrHelp.
func parseFiles(fs *flag.FlagSet, args []string, stderr io.Writer, usage, verb string) ([]string, error) {
	var files []string
	for {
		if err := parseSet(fs, args, stderr, usage); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: no report files to %s", errUsage, verb)
	}
	return files, nil
}

// merge reads the reports, merges them, prints the summary to out, and
// writes and gates the merged report as -json and -min-delivered say.
func merge(c mergeConfig, out io.Writer) error {
	reports := make([]*report.Report, len(c.files))
	for i, f := range c.files {
		r, err := report.ReadFile(f)
		if err != nil {
			return err
		}
		reports[i] = r
	}
	m, err := report.Merge(reports...)
	if err != nil {
		return err
	}
	p := &printer{w: out}
	p.summary(m)
	if p.err != nil {
		return p.err
	}
	return finish(m, c.json, c.html, c.minDelivered)
}
