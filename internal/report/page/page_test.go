package page

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/beatwheel/beatwheel/internal/report"
)

// testReport is a run of n seconds whose series has recognisable values.
func testReport(n int, okPerS float64, failures bool) *report.Report {
	r := &report.Report{
		Config: report.Config{Instances: 1000, Services: 10, Period: 5 * time.Second, Transport: "nacos"},
		Shards: []report.Shard{{Count: 1, Instances: 1000}},
		Window: report.Window{AllAdded: true, Steady: true, Added: 1000, Length: time.Duration(n) * time.Second},
		Beats:  report.Beats{Expected: float64(n) * okPerS, Sent: uint64(n) * uint64(okPerS), OK: uint64(n) * uint64(okPerS)},
	}
	for i := range n {
		p := report.Point{T: time.Duration(i+1) * time.Second, Added: min(1000, 300*(i+1)), Sent: okPerS + 1, OK: okPerS,
			LatenessP99: time.Duration(i+2) * time.Millisecond, SendP99: 3 * time.Millisecond, CPUPercent: 12.5, Switches: 1500, RSS: 64 << 20}
		if failures && i == 2 {
			p.Failed = report.FailureRates{HTTP: 7, Total: 7}
		}
		r.Series = append(r.Series, p)
	}
	r.Derive()
	return r
}

// svgs returns the page's inline SVG elements, each checked to be
// well-formed XML.
func svgs(t *testing.T, page string) []string {
	t.Helper()
	all := regexp.MustCompile(`(?s)<svg .*?</svg>`).FindAllString(page, -1)
	for _, s := range all {
		dec := xml.NewDecoder(strings.NewReader(s))
		for {
			_, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			require.NoError(t, err, "an SVG that is not well-formed")
		}
	}
	return all
}

// seriesOf decodes the page's series data.
func seriesOf(t *testing.T, page string) []SeriesData {
	t.Helper()
	m := regexp.MustCompile(`(?s)<script type="application/json" id="` + SeriesID + `">(.*?)</script>`).FindStringSubmatch(page)
	require.Len(t, m, 2, "no series data")
	var got []SeriesData
	require.NoError(t, json.Unmarshal([]byte(m[1]), &got))
	return got
}

func TestWrite(t *testing.T) {
	tests := []struct {
		name   string
		runs   []Run
		charts int      // SVGs drawn
		legend []string // in the charts' text
	}{
		{name: "one run, no failures", runs: []Run{{Name: "Summary", Report: testReport(5, 2000, false)}},
			// no send- or re-registration-only lines: beats, failures (all
			// kinds at 0), p99, CPU, context switches, RSS, registrations
			charts: 7, legend: []string{">sent<", ">ok<", ">all kinds<", ">lateness<", ">send (batch)<", ">switches<", ">added<", ">all added<", ">steady window<"}},
		{name: "one run, HTTP errors", runs: []Run{{Name: "Summary", Report: testReport(5, 2000, true)}},
			charts: 7, legend: []string{">HTTP error<"}},
		{name: "two runs on the same axes", runs: []Run{{Name: "shard-0", Report: testReport(5, 2000, false)}, {Name: "shard-1", Report: testReport(7, 1000, false)}},
			charts: 7, legend: []string{">shard-0: sent<", ">shard-1: ok<", ">shard-1<"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, Write(&buf, "a <title>", tc.runs...))
			page := buf.String()
			assert.True(t, strings.HasPrefix(page, "<!DOCTYPE html>"))
			assert.Contains(t, page, "<title>a &lt;title&gt;</title>", "the title is escaped")
			assert.Len(t, svgs(t, page), tc.charts)
			for _, l := range tc.legend {
				assert.Contains(t, page, l)
			}
			if len(tc.runs) > 1 {
				assert.NotContains(t, page, ">steady window<", "runs' windows differ: none is marked")
			}
			// Nothing to fetch: no URL but data: ones, no script to run.
			assert.NotRegexp(t, `(?i)https?://`, page)
			assert.NotRegexp(t, `(?i)<script(?: [^>]*)? src=`, page)
			assert.NotRegexp(t, `(?i)<link\b`, page)
			assert.NotContains(t, page, "<?xml")
			for _, u := range regexp.MustCompile(`url\(([^)]*)\)`).FindAllStringSubmatch(page, -1) {
				assert.True(t, strings.HasPrefix(u[1], "data:"), "url(%.40s...)", u[1])
			}
			assert.Contains(t, page, `@font-face { font-family: "Liberation Sans"; src: url(data:font/ttf;base64,`)
			assert.Contains(t, page, `font-family:Liberation Sans;`, "the charts name the embedded font")
			// The numbers the charts are drawn from, per run.
			got := seriesOf(t, page)
			require.Len(t, got, len(tc.runs))
			for i, r := range tc.runs {
				assert.Equal(t, r.Name, got[i].Name)
				assert.Equal(t, r.Report.Series, got[i].Series)
				assert.Contains(t, page, "<h2>"+r.Name+"</h2>")
			}
			assert.Equal(t, len(tc.runs), strings.Count(page, "Summary: 1000 instances, period 5s"), "each run's summary")
		})
	}
}

func TestWriteNoSeries(t *testing.T) {
	r := testReport(3, 10, false)
	r.Series = nil
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, "merged", Run{Name: "merged", Report: r}))
	assert.Contains(t, buf.String(), "no per-second series")
	assert.ErrorIs(t, Write(&buf, "none"), ErrNoRuns)
}

func TestWriteError(t *testing.T) {
	assert.Error(t, Write(failWriter{}, "x", Run{Name: "a", Report: testReport(2, 10, false)}))
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }
