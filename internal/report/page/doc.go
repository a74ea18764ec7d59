// Package page renders beatbench reports (package report) as one
// self-contained HTML page: charts of each run second by second, drawn
// from Report.Series with gonum.org/v1/plot as inline SVG, beside the text
// summary. The page needs no network to open: no script, no stylesheet or
// image by URL, and the one font the charts use (Liberation Sans, SIL Open
// Font License) embedded once as a data: URL.
//
// Several reports are drawn on the same axes, one colour per run, with
// time counted from each run's own start, so that runs can be compared:
// two shards, two versions, two servers.
package page
