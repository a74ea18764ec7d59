package main

import (
	"fmt"

	"github.com/beatwheel/beatwheel/internal/report"
)

// belowError is the -min-delivered gate failing: exit code exitBelow.
type belowError struct {
	delivered, min float64
	window         string
}

func (e *belowError) Error() string {
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
// expected beats; min 0 never fails.
func gate(rep *report.Report, min float64) error {
	if min <= 0 || rep.Beats.DeliveredPct >= min {
		return nil
	}
	window := "in the steady window"
	if !rep.Window.Steady {
		window = "in a run too short for a steady window"
	}
	return &belowError{delivered: rep.Beats.DeliveredPct, min: min, window: window}
}

// finish writes rep as JSON to jsonPath when it is set, then applies the
// -min-delivered gate: what run and merge do after the summary.
func finish(rep *report.Report, jsonPath string, min float64) error {
	if jsonPath != "" {
		if err := report.WriteFile(jsonPath, rep); err != nil {
			return err
		}
	}
	return gate(rep, min)
}
