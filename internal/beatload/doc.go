// Package beatload keeps N periodic no-op beats alive on any
// wheel.Scheduler, recording each beat into a measure.Meter. It is the load
// that bench/ puts on our wheel and on the RussellLuo adapter, and that
// cmd/beatbench runs: the scheduling cost of heartbeats with the network
// taken out.
//
// The first beats of the N instances are spread uniformly over one period,
// dealt out in a scattered order (Phase), as a reactor's key hash does.
// Each beat calls the no-op Send, records its lateness (the scheduler's Now
// minus the due time), and re-arms for max(due + period, now): beats do not
// drift, and an instance that fell behind beats once and carries on rather
// than catching up in a burst.
package beatload
