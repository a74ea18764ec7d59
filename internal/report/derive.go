package report

// Derive recomputes every derived field from the others: Beats.DeliveredPct
// and PerSecond, Beats.Failed.Total, and Cost's per-beat and percent
// figures. Every ratio is 0 when its denominator is.
func (r *Report) Derive() {
	r.Schema = Schema
	b := &r.Beats
	f := &b.Failed
	f.Total = f.NotFound + f.Code + f.Timeout + f.Transport
	b.DeliveredPct = ratio(100*float64(b.OK), b.Expected)
	secs := r.Window.Length.Seconds()
	b.PerSecond = ratio(float64(b.OK), secs)
	c := &r.Cost
	c.CPUPerBeat = ratio(float64(c.CPU.Nanoseconds()), float64(b.OK))
	c.CPUPercent = ratio(100*c.CPU.Seconds(), secs)
	c.AllocsPerBeat = ratio(float64(c.Allocs), float64(b.OK))
}

// ratio returns a/b, or 0 when b is not positive.
func ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return a / b
}
