package main

import (
	"fmt"
	"time"

	"github.com/beatwheel/beatwheel/internal/report"
)

// minJudged is the fewest periods a window must span for -min-delivered to
// judge it: a shorter one is mostly the edges of one or two periods, where
// a beat due in the window may leave just after it.
const minJudged = 2

// belowError is the -min-delivered gate failing: exit code exitBelow.
type belowError struct {
	delivered, min float64
	window         string
	// short: the window was too short to judge; delivered is not judged.
	short          bool
	length, period time.Duration
}

func (e *belowError) Error() string {
	if e.short {
		return fmt.Sprintf("-min-delivered %g%% cannot judge a window of %s: it needs at least %d periods (%v); run with a longer -duration",
			e.min, report.Duration(e.length), minJudged, minJudged*e.period)
	}
	return fmt.Sprintf("delivered %.2f%% of expected beats %s, below -min-delivered %g%%", e.delivered, e.window, e.min)
}

// checkMinDelivered returns a usage error unless pct, a -min-delivered
// value of run or merge, is a percentage from 0 to 100.
func checkMinDelivered(pct float64) error {
	if pct < 0 || pct > 100 {
		return fmt.Errorf("%w: -min-delivered %v: want a percentage from 0 to 100", errUsage, pct)
	}
	return nil
}

// gate returns a *belowError when rep delivered below min percent of its
// expected beats, or when its window is too short to judge (Window.Short);
// min 0 never fails.
func gate(rep *report.Report, min float64) error {
	if min <= 0 {
		return nil
	}
	if rep.Window.Short {
		return &belowError{min: min, short: true, length: rep.Window.Length, period: rep.BeatPeriod()}
	}
	if rep.Beats.DeliveredPct >= min {
		return nil
	}
	window := "in the steady window"
	if !rep.Window.Steady {
		window = "in a run too short for a steady window"
	}
	return &belowError{delivered: rep.Beats.DeliveredPct, min: min, window: window}
}

// finish writes rep as JSON to jsonPath and as an HTML page to htmlPath
// when they are set, then applies the -min-delivered gate: what run and
// merge do after the summary.
func finish(rep *report.Report, jsonPath, htmlPath string, min float64) error {
	if jsonPath != "" {
		if err := report.WriteFile(jsonPath, rep); err != nil {
			return err
		}
	}
	if htmlPath != "" {
		if err := writeHTML(htmlPath, rep); err != nil {
			return err
		}
	}
	return gate(rep, min)
}
