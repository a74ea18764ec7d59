package page

import (
	"bytes"
	"fmt"
	"image/color"
	"regexp"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/beatwheel/beatwheel/internal/report"
)

// Chart sizes, in points.
const (
	chartWidth  = 4.4 * vg.Inch
	chartHeight = 2.7 * vg.Inch
)

// chartFont is the font of every chart's text, embedded once in the page.
var chartFont = font.Font{Typeface: "Liberation", Variant: "Sans"}

// palette colours runs (several reports) or lines (one report): Tableau 10,
// distinct for people with the common colour blindness.
var palette = []color.RGBA{
	{0x4e, 0x79, 0xa7, 0xff}, {0xf2, 0x8e, 0x2b, 0xff}, {0xe1, 0x57, 0x59, 0xff}, {0x76, 0xb7, 0xb2, 0xff},
	{0x59, 0xa1, 0x4f, 0xff}, {0xed, 0xc9, 0x48, 0xff}, {0xb0, 0x7a, 0xa1, 0xff}, {0xff, 0x9d, 0xa7, 0xff},
	{0x9c, 0x75, 0x5f, 0xff}, {0xba, 0xb0, 0xac, 0xff},
}

// dashes tell the lines of one run apart when colour tells runs apart.
var dashes = [][]vg.Length{nil, {vg.Points(6), vg.Points(3)}, {vg.Points(2), vg.Points(2)}, {vg.Points(8), vg.Points(2), vg.Points(2), vg.Points(2)}, {vg.Points(1), vg.Points(3)}}

// line is one quantity of a Point, as a chart draws it.
type line struct {
	name string
	// value returns the quantity at p, in the chart's unit.
	value func(p report.Point) float64
	// optional lines are drawn only when some run has a value above 0.
	optional bool
}

// chart is one chart of the page: several quantities over time.
type chart struct {
	title, unit string
	lines       []line
}

// run is one report on the page, with its name for the legends.
type run struct {
	name string
	rep  *report.Report
}

// charts returns the charts of the page.
func charts() []chart {
	return []chart{
		{title: "Beats per second", unit: "beats/s", lines: []line{
			{name: "sent", value: func(p report.Point) float64 { return p.Sent }},
			{name: "ok", value: func(p report.Point) float64 { return p.OK }},
		}},
		{title: "Failed beats per second, by kind", unit: "beats/s", lines: []line{
			{name: "all kinds", value: func(p report.Point) float64 { return p.Failed.Total }},
			{name: "20404", value: func(p report.Point) float64 { return p.Failed.NotFound }, optional: true},
			{name: "other code", value: func(p report.Point) float64 { return p.Failed.Code }, optional: true},
			{name: "HTTP error", value: func(p report.Point) float64 { return p.Failed.HTTP }, optional: true},
			{name: "timeout", value: func(p report.Point) float64 { return p.Failed.Timeout }, optional: true},
			{name: "transport", value: func(p report.Point) float64 { return p.Failed.Transport }, optional: true},
		}},
		{title: "p99 latency, each second", unit: "ms", lines: []line{
			{name: "lateness", value: func(p report.Point) float64 { return float64(p.LatenessP99) / 1e6 }},
			{name: "send (batch)", value: func(p report.Point) float64 { return float64(p.SendP99) / 1e6 }, optional: true},
		}},
		{title: "CPU", unit: "% of one core", lines: []line{
			{name: "CPU", value: func(p report.Point) float64 { return p.CPUPercent }},
		}},
		{title: "Context switches per second (each a sleep and a wake-up)", unit: "per s", lines: []line{
			{name: "switches", value: func(p report.Point) float64 { return p.Switches }, optional: true},
		}},
		{title: "Resident memory (RSS)", unit: "MiB", lines: []line{
			{name: "RSS", value: func(p report.Point) float64 { return float64(p.RSS) / (1 << 20) }},
		}},
		{title: "Registrations", unit: "instances", lines: []line{
			{name: "added", value: func(p report.Point) float64 { return float64(p.Added) }},
		}},
		{title: "Re-registrations per second (after 20404)", unit: "per s", lines: []line{
			{name: "re-registered", value: func(p report.Point) float64 { return p.Reregistered }, optional: true},
		}},
	}
}

// shown returns the lines of c that are drawn for runs: every line that
// is not optional, and the optional ones some run has a value above 0 of.
func (c chart) shown(runs []run) []line {
	var out []line
	for _, l := range c.lines {
		if !l.optional || anyAbove0(runs, l) {
			out = append(out, l)
		}
	}
	return out
}

func anyAbove0(runs []run, l line) bool {
	for _, r := range runs {
		for _, p := range r.rep.Series {
			if l.value(p) > 0 {
				return true
			}
		}
	}
	return false
}

// markWindow draws where the report's window starts: a grey line when
// the last instance was added and, for a steady window, one where the
// warm-up ended.
func markWindow(p *plot.Plot, w report.Window) error {
	type mark struct {
		name string
		at   float64
		dash []vg.Length
	}
	var marks []mark
	if w.AllAdded {
		marks = append(marks, mark{"all added", w.Add.Seconds(), []vg.Length{vg.Points(1), vg.Points(2)}})
		if w.Steady {
			marks = append(marks, mark{"steady window", w.Warmup.Seconds(), []vg.Length{vg.Points(4), vg.Points(3)}})
		}
	}
	for _, m := range marks {
		l, err := plotter.NewLine(plotter.XYs{{X: m.at, Y: 0}, {X: m.at, Y: p.Y.Max}})
		if err != nil {
			return fmt.Errorf("marking the window: %w", err)
		}
		l.LineStyle.Color = color.Gray{Y: 0x80}
		l.LineStyle.Width = vg.Points(1)
		l.LineStyle.Dashes = m.dash
		p.Add(l)
		p.Legend.Add(m.name, l)
	}
	return nil
}

// plainTicks are gonum's default ticks labelled without trailing zeros:
// 2500, not 2500.00.
type plainTicks struct{}

// Ticks returns the ticks between lo and hi.
func (plainTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = strconv.FormatFloat(ts[i].Value, 'f', -1, 64)
			if len(ts[i].Label) > 8 {
				ts[i].Label = strconv.FormatFloat(ts[i].Value, 'g', 4, 64)
			}
		}
	}
	return ts
}

// legendRoom is how much higher than the data the Y axis goes, so that
// a legend of n entries at the top does not hide the lines.
func legendRoom(n int) float64 { return 1.12 + 0.09*float64(n) }

// xmlProlog matches what vgsvg writes before <svg>, which has no place
// inside an HTML page, and the namespace declarations an inline SVG does
// not need.
var (
	xmlProlog  = regexp.MustCompile(`(?s)^.*?(<svg )`)
	namespaces = regexp.MustCompile(`\s+xmlns(:xlink)?="[^"]*"`)
)

// svg draws c for runs as an inline SVG element; "" when no line of c
// has anything to draw.
func (c chart) svg(runs []run) (string, error) {
	lines := c.shown(runs)
	if len(lines) == 0 {
		return "", nil
	}
	p := plot.New()
	p.Title.Text = c.title
	p.X.Label.Text = "seconds since the start"
	p.Y.Label.Text = c.unit
	p.X.Min, p.Y.Min = 0, 0
	for _, st := range []struct {
		f    *font.Font
		size vg.Length
	}{
		{&p.Title.TextStyle.Font, 11}, {&p.X.Label.TextStyle.Font, 9}, {&p.Y.Label.TextStyle.Font, 9},
		{&p.X.Tick.Label.Font, 8}, {&p.Y.Tick.Label.Font, 8}, {&p.Legend.TextStyle.Font, 8},
	} {
		st.f.Typeface, st.f.Variant, st.f.Size = chartFont.Typeface, chartFont.Variant, st.size
	}
	p.Y.Tick.Marker = plainTicks{}
	p.Legend.Top = true
	p.Legend.Left = true
	grid := plotter.NewGrid()
	grid.Vertical.Color = color.Gray{Y: 0xe0}
	grid.Horizontal.Color = color.Gray{Y: 0xe0}
	p.Add(grid)
	entries := 0
	for ri, r := range runs {
		for li, l := range lines {
			xys := make(plotter.XYs, len(r.rep.Series))
			for i, pt := range r.rep.Series {
				xys[i] = plotter.XY{X: pt.T.Seconds(), Y: l.value(pt)}
			}
			if len(xys) == 0 {
				continue
			}
			pl, err := plotter.NewLine(xys)
			if err != nil {
				return "", fmt.Errorf("chart %q, %s: %w", c.title, r.name, err)
			}
			pl.LineStyle.Width = vg.Points(1.6)
			name := l.name
			if len(runs) > 1 {
				pl.LineStyle.Color = palette[ri%len(palette)]
				pl.LineStyle.Dashes = dashes[li%len(dashes)]
				name = r.name
				if len(lines) > 1 {
					name += ": " + l.name
				}
			} else {
				pl.LineStyle.Color = palette[li%len(palette)]
				pl.LineStyle.Dashes = dashes[li%len(dashes)] // lines on top of each other still show
			}
			p.Add(pl)
			p.Legend.Add(name, pl)
			entries++
		}
	}
	// Headroom above the highest line for the legend; a flat 0 still
	// gets an axis.
	p.Y.Max = max(p.Y.Max*legendRoom(entries+2), 1)
	if len(runs) == 1 {
		if err := markWindow(p, runs[0].rep.Window); err != nil {
			return "", err
		}
	}
	canvas := vgsvg.New(chartWidth, chartHeight)
	p.Draw(draw.New(canvas))
	var buf bytes.Buffer
	if _, err := canvas.WriteTo(&buf); err != nil {
		return "", fmt.Errorf("chart %q: %w", c.title, err)
	}
	s := xmlProlog.ReplaceAllString(buf.String(), "$1")
	return namespaces.ReplaceAllString(s, ""), nil
}
