package report

import "github.com/beatwheel/beatwheel/internal/measure"

// Derive recomputes every derived field from the others: Beats.DeliveredPct
// and PerSecond, Beats.Failed.Total, Window.Short (kept when already set,
// as a merge of a short shard sets it), and Cost's per-beat and percent
// figures, as measure.Stats computes them for the window's delivered
// beats. Every ratio is 0 when its denominator is.
func (r *Report) Derive() {
	r.Schema = Schema
	b := &r.Beats
	f := &b.Failed
	f.Total = f.NotFound + f.Code + f.HTTP + f.Timeout + f.Transport
	r.Window.Short = r.Window.Short || r.Window.Length < 2*r.BeatPeriod()
	c := &r.Cost
	st := measure.Stats{Elapsed: r.Window.Length, Beats: b.OK, Expected: b.Expected, CPU: c.CPU, Switches: c.Switches, Allocs: c.Allocs}
	b.DeliveredPct = 100 * st.FiredPerExpected()
	b.PerSecond = st.BeatsPerSecond()
	c.CPUPerBeat = st.CPUPerBeat()
	c.CPUPercent = st.CPUPercent()
	c.SwitchesPerSecond = st.SwitchesPerSecond()
	c.AllocsPerBeat = st.AllocsPerBeat()
}

// ratio returns a/b, or 0 when b is not positive.
func ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return a / b
}
