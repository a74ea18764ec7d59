package page_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/beatwheel/beatwheel/internal/report"
	"github.com/beatwheel/beatwheel/internal/report/page"
)

// Example draws two runs' reports on one page, as beatbench plot does.
func Example() {
	runs := []page.Run{}
	for i, name := range []string{"before", "after"} {
		r := &report.Report{Config: report.Config{Instances: 1000, Period: 5 * time.Second, Transport: "nacos"},
			Shards: []report.Shard{{Count: 1, Instances: 1000}}}
		for s := 1; s <= 10; s++ {
			r.Series = append(r.Series, report.Point{T: time.Duration(s) * time.Second, Added: 1000,
				Sent: 200, OK: 200 - float64(i), CPUPercent: 5, RSS: 40 << 20})
		}
		r.Derive()
		runs = append(runs, page.Run{Name: name, Report: r})
	}
	var b strings.Builder // or the file beatbench -html writes
	err := page.Write(&b, "before and after", runs...)
	fmt.Println(err, strings.Count(b.String(), "<svg "), "charts")
	// Output: <nil> 6 charts
}
