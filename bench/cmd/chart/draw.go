package main

import (
	"fmt"
	"image/color"
	"io"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Image size and colours.
const (
	width  = 10 * vg.Inch
	height = 4 * vg.Inch
	dpi    = 120
)

var (
	ours   = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff} // beatwheel's rows
	theirs = color.RGBA{R: 0x9e, G: 0x9e, B: 0x9e, A: 0xff} // what users would pick instead
)

// panel is one bar chart of the comparison.
type panel struct {
	title string
	value func(row) float64
}

// panels are drawn side by side.
var panels = []panel{
	{"CPU per beat (ns)", func(r row) float64 { return r.nsPerBeat }},
	{"memory per instance (bytes)", func(r row) float64 { return r.bytesPerInstance }},
}

// drawPNG draws d as a PNG to w: a panel per figure, a horizontal bar per
// way (ours in colour), each labelled with its value, and a footer naming
// the command, machine and date the figures come from.
func drawPNG(w io.Writer, d data) error {
	c := vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(dpi))
	dc := draw.New(c)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())

	title := plot.DefaultTextHandler
	head := plot.DefaultFont
	head.Size = vg.Points(13)
	small := plot.DefaultFont
	small.Size = vg.Points(8)
	sty := draw.TextStyle{Color: color.Black, Font: head, Handler: title, XAlign: draw.XCenter, YAlign: draw.YTop}
	dc.FillText(sty, vg.Point{X: width / 2, Y: height - vg.Points(6)},
		fmt.Sprintf("Keeping %s heartbeats alive: 5 s period, no-op send (lower is better)", thousands(d.rows[0].instances)))
	foot := sty
	foot.Font, foot.XAlign, foot.YAlign = small, draw.XLeft, draw.YBottom
	dc.FillText(foot, vg.Point{X: vg.Points(8), Y: vg.Points(5)},
		fmt.Sprintf("%s  ·  %s  ·  %s", d.command, d.machine, d.date))

	plots := make([]*plot.Plot, len(panels))
	for i, pn := range panels {
		p, err := barPanel(d, pn, i == 0)
		if err != nil {
			return err
		}
		plots[i] = p
	}
	body := draw.Crop(dc, 0, 0, vg.Points(16), -vg.Points(32))
	tiles := draw.Tiles{Rows: 1, Cols: len(plots), PadX: vg.Points(18), PadLeft: vg.Points(4), PadRight: vg.Points(18)}
	for j, cv := range plot.Align([][]*plot.Plot{plots}, tiles, body)[0] {
		plots[j].Draw(cv)
	}
	_, err := vgimg.PngCanvas{Canvas: c}.WriteTo(w)
	return err
}

// barPanel is one panel: a bar per way, top to bottom in ways' order.
func barPanel(d data, pn panel, names bool) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = pn.title
	p.X.Min = 0
	p.X.Tick.Marker = plot.TickerFunc(thousandsTicks)
	var labels plotter.XYLabels
	max := 0.0
	for i, w := range ways {
		v := pn.value(d.row(w.name))
		max = maxf(max, v)
		y := float64(len(ways) - 1 - i) // first way on top
		bc, err := plotter.NewBarChart(plotter.Values{v}, vg.Points(20))
		if err != nil {
			return nil, err
		}
		bc.Horizontal = true
		bc.XMin = y
		bc.LineStyle.Width = 0
		bc.Color = theirs
		if i < 2 {
			bc.Color = ours
		}
		p.Add(bc)
		labels.XYs = append(labels.XYs, plotter.XY{X: v, Y: y})
		labels.Labels = append(labels.Labels, figure(v))
	}
	l, err := plotter.NewLabels(labels)
	if err != nil {
		return nil, err
	}
	for i := range l.TextStyle {
		l.TextStyle[i].YAlign = draw.YCenter
	}
	l.Offset = vg.Point{X: vg.Points(4)}
	p.Add(l)
	p.X.Max = max * 1.18 // room for the largest bar's label
	names2 := make([]string, len(ways))
	for i, w := range ways {
		names2[len(ways)-1-i] = w.label
		if !names {
			names2[len(ways)-1-i] = ""
		}
	}
	p.NominalY(names2...)
	return p, nil
}

// thousandsTicks is plot.DefaultTicks with labels written 1,000.
func thousandsTicks(min, max float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = thousands(int(ts[i].Value))
		}
	}
	return ts
}

// figure writes a measured value as the CSV has it: whole numbers with
// commas between thousands, others with their decimals (38.6).
func figure(v float64) string {
	if v == float64(int(v)) {
		return thousands(int(v))
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// thousands writes n with commas between thousands: 1,000,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func maxf(a, b float64) float64 {
	if a > b {
		return a
	}
	return b
}
