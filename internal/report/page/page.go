package page

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"

	"golang.org/x/image/font/sfnt"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"

	"github.com/beatwheel/beatwheel/internal/report"
)

// Run is one report to draw, and the name its lines carry in the legends
// (a file name, say).
type Run struct {
	Name   string
	Report *report.Report
}

// ErrNoRuns is returned by Write when it has nothing to draw.
var ErrNoRuns = errors.New("page: no reports to draw")

// Write writes runs as one HTML page: a chart per quantity, every run on
// the same axes, beside each run's text summary.
func Write(w io.Writer, title string, runs ...Run) error {
	if len(runs) == 0 {
		return ErrNoRuns
	}
	rs := make([]run, len(runs))
	data := pageData{Title: title}
	for i, r := range runs {
		rs[i] = run{name: r.Name, rep: r.Report}
		var sum bytes.Buffer
		if err := report.WriteText(&sum, r.Report); err != nil {
			return err
		}
		data.Summaries = append(data.Summaries, summary{Name: r.Name, Text: sum.String(), NoSeries: len(r.Report.Series) == 0})
	}
	for _, c := range charts() {
		s, err := c.svg(rs)
		if err != nil {
			return err
		}
		if s != "" {
			data.Charts = append(data.Charts, template.HTML(s)) //nolint:gosec // SVG gonum wrote from numbers and our own labels
		}
	}
	css, err := fontFace()
	if err != nil {
		return err
	}
	data.FontFace = template.CSS(css)
	series := make([]SeriesData, len(runs))
	for i, r := range runs {
		series[i] = SeriesData{Name: r.Name, Series: r.Report.Series}
	}
	js, err := json.Marshal(series)
	if err != nil {
		return fmt.Errorf("page: %w", err)
	}
	data.Series = template.JS(js) //nolint:gosec // JSON from encoding/json, which escapes <, > and &
	return pageTemplate.Execute(w, data)
}

// SeriesID is the id of the page's script element of type
// application/json holding every run's series, as []SeriesData: the
// numbers the charts are drawn from, for a reader or a test.
const SeriesID = "beatbench-series"

// SeriesData is one run's series as the page carries it.
type SeriesData struct {
	Name   string         `json:"name"`
	Series []report.Point `json:"series"`
}

// pageData is what the template fills in.
type pageData struct {
	Title     string
	FontFace  template.CSS
	Charts    []template.HTML
	Summaries []summary
	Series    template.JS // []SeriesData as JSON; encoding/json escapes <, > and &
}

// summary is one run's text summary.
type summary struct {
	Name     string
	Text     string
	NoSeries bool
}

// fontFace returns the CSS @font-face rule that embeds chartFont, the one
// font the charts' text names, so that the page renders as drawn with no
// network and whatever fonts the machine has.
func fontFace() (string, error) {
	face := font.DefaultCache.Lookup(chartFont, vg.Points(10))
	if face.Face == nil {
		return "", fmt.Errorf("page: no font %v", chartFont)
	}
	family, err := face.Face.Name(&sfnt.Buffer{}, sfnt.NameIDFamily)
	if err != nil {
		return "", fmt.Errorf("page: font name: %w", err)
	}
	var raw bytes.Buffer
	if _, err := face.Face.WriteSourceTo(nil, &raw); err != nil {
		return "", fmt.Errorf("page: font data: %w", err)
	}
	return fmt.Sprintf("@font-face { font-family: %q; src: url(data:font/ttf;base64,%s) format(\"truetype\"); }",
		family, base64.StdEncoding.EncodeToString(raw.Bytes())), nil
}

var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
{{.FontFace}}
body { font-family: "Liberation Sans", Arial, Helvetica, sans-serif; margin: 16px 24px; color: #222; background: #fff; }
h1 { font-size: 20px; margin: 0 0 12px; }
h2 { font-size: 15px; margin: 0 0 6px; }
.layout { display: grid; grid-template-columns: minmax(0, 1fr) auto; gap: 20px; align-items: start; }
@media (max-width: 1100px) { .layout { grid-template-columns: minmax(0, 1fr); } }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 12px; }
.charts figure { margin: 0; border: 1px solid #ddd; border-radius: 4px; padding: 4px; background: #fff; }
.charts svg { width: 100%; height: auto; display: block; }
.summary { position: sticky; top: 12px; }
.summary pre { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 10.5px; line-height: 1.35;
  background: #f7f7f7; border: 1px solid #ddd; border-radius: 4px; padding: 8px 10px; overflow-x: auto; margin: 0 0 14px; }
.note { font-size: 13px; color: #555; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<div class="layout">
<section class="charts">
{{range .Charts}}<figure>{{.}}</figure>
{{end}}</section>
<aside class="summary">
{{range .Summaries}}<h2>{{.Name}}</h2>
{{if .NoSeries}}<p class="note">This report has no per-second series (a merge has none): plot the shards' reports to see them over time.</p>
{{end}}<pre>{{.Text}}</pre>
{{end}}</aside>
</div>
<script type="application/json" id="beatbench-series">{{.Series}}</script>
</body>
</html>
`))
