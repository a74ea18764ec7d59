package report

import (
	"errors"
	"fmt"
	"slices"
)

// ErrMismatch is wrapped by Merge's errors: the reports are not shards of
// one run.
var ErrMismatch = errors.New("reports do not match")

// Merge adds up reports of distinct shards of one run into one report, as
// the package comment says, and derives it. The reports must agree on the
// instance space (Config's Instances, Services, Period, Namespace and
// Transport), on the period the instances beat at and on the shard count, and must not cover a shard twice; the
// merged Config is the first report's. Merging a subset of the shards is
// allowed: the result says which shards it covers.
func Merge(reports ...*Report) (*Report, error) {
	if len(reports) == 0 {
		return nil, errors.New("nothing to merge")
	}
	first := reports[0]
	m := &Report{Config: first.Config, Start: first.Start, End: first.End,
		Window: Window{AllAdded: true, Steady: true, Period: first.Window.Period}}
	for i, r := range reports {
		if err := sameRun(first, r); err != nil {
			return nil, fmt.Errorf("%w: report %d: %w", ErrMismatch, i+1, err)
		}
		for _, s := range r.Shards {
			if slices.ContainsFunc(m.Shards, func(t Shard) bool { return t.Index == s.Index }) {
				return nil, fmt.Errorf("%w: report %d: shard %d/%d is in an earlier report too", ErrMismatch, i+1, s.Index, s.Count)
			}
			m.Shards = append(m.Shards, s)
		}
		m.add(r)
	}
	slices.SortFunc(m.Shards, func(a, b Shard) int { return a.Index - b.Index })
	m.Cost.BytesPerInstance = bytesPerInstance(reports)
	m.Derive()
	return m, nil
}

// sameRun says why r is not a shard of the run a is one of, or nil.
func sameRun(a, r *Report) error {
	ac, rc := a.Config, r.Config
	switch {
	case r.Schema != Schema:
		return fmt.Errorf("schema %d, want %d", r.Schema, Schema)
	case len(r.Shards) == 0:
		return errors.New("no shards")
	case ac.Instances != rc.Instances:
		return fmt.Errorf("%d instances, the first report %d", rc.Instances, ac.Instances)
	case ac.Services != rc.Services:
		return fmt.Errorf("%d services, the first report %d", rc.Services, ac.Services)
	case ac.Period != rc.Period:
		return fmt.Errorf("period %v, the first report %v", rc.Period, ac.Period)
	case a.BeatPeriod() != r.BeatPeriod():
		return fmt.Errorf("beating every %v (the server's interval), the first report every %v", r.BeatPeriod(), a.BeatPeriod())
	case ac.Namespace != rc.Namespace:
		return fmt.Errorf("namespace %q, the first report %q", rc.Namespace, ac.Namespace)
	case ac.Transport != rc.Transport:
		return fmt.Errorf("transport %s, the first report %s", rc.Transport, ac.Transport)
	}
	for _, s := range r.Shards {
		if s.Count != a.Shards[0].Count {
			return fmt.Errorf("shard %d/%d, the first report is of %d shards", s.Index, s.Count, a.Shards[0].Count)
		}
	}
	return nil
}

// add adds r's figures into m.
func (m *Report) add(r *Report) {
	if r.Start.Before(m.Start) {
		m.Start = r.Start
	}
	if r.End.After(m.End) {
		m.End = r.End
	}
	m.Interrupted = m.Interrupted || r.Interrupted

	w, rw := &m.Window, r.Window
	w.AllAdded = w.AllAdded && rw.AllAdded
	w.Steady = w.Steady && rw.Steady
	w.Short = w.Short || rw.Short
	w.Added += rw.Added
	w.Add = max(w.Add, rw.Add)
	w.Warmup = max(w.Warmup, rw.Warmup)
	w.Length = max(w.Length, rw.Length)

	b, rb := &m.Beats, r.Beats
	b.Expected += rb.Expected
	b.Sent += rb.Sent
	b.OK += rb.OK
	b.Light += rb.Light
	b.Failed.NotFound += rb.Failed.NotFound
	b.Failed.Code += rb.Failed.Code
	b.Failed.HTTP += rb.Failed.HTTP
	b.Failed.Timeout += rb.Failed.Timeout
	b.Failed.Transport += rb.Failed.Transport

	if r.SendLatency != nil {
		if m.SendLatency == nil {
			m.SendLatency = &Latency{}
		}
		m.SendLatency.add(*r.SendLatency)
	}
	m.Lateness.add(r.Lateness)

	m.Cost.CPU += r.Cost.CPU
	m.Cost.Allocs += r.Cost.Allocs
	m.Cost.Switches += r.Cost.Switches
	m.Cost.RSS += r.Cost.RSS

	if rr := r.Registrations; rr != nil {
		if m.Registrations == nil {
			m.Registrations = &Registrations{}
		}
		m.Registrations.Failed += rr.Failed
		m.Registrations.Reregistered += rr.Reregistered
		m.Registrations.ReregisterFailed += rr.ReregisterFailed
	}
	if rs := r.Server; rs != nil {
		if m.Server == nil {
			m.Server = &Server{}
		}
		m.Server.Beats += rs.Beats
		m.Server.NotFound += rs.NotFound
		m.Server.Registrations += rs.Registrations
		m.Server.Healthy += rs.Healthy
		m.Server.Unhealthy += rs.Unhealthy
	}
	for _, p := range r.Problems {
		m.Problems = append(m.Problems, fmt.Sprintf("shard %s: %s", Shards(r.Shards), p))
	}
}

// add merges o into l: counts add up, percentiles take the larger.
func (l *Latency) add(o Latency) {
	l.Count += o.Count
	l.P50 = max(l.P50, o.P50)
	l.P90 = max(l.P90, o.P90)
	l.P99 = max(l.P99, o.P99)
	l.P999 = max(l.P999, o.P999)
	l.Max = max(l.Max, o.Max)
}

// bytesPerInstance is the reports' bytes per instance weighted by their
// instances.
func bytesPerInstance(reports []*Report) float64 {
	var bytes float64
	var n int
	for _, r := range reports {
		k := r.Instances()
		bytes += r.Cost.BytesPerInstance * float64(k)
		n += k
	}
	return ratio(bytes, float64(n))
}
