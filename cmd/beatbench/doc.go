// Command beatbench keeps N no-op heartbeats alive and reports what that
// costs: beats per second, CPU per beat, memory per instance and how late
// beats fire, once a second and for the whole run.
//
// Usage:
//
//	beatbench [-instances 100000] [-period 5s] [-duration 30s] [-tick 10ms]
//	          [-scheduler wheel|russellluo] [-transport none|noop]
//
// With -transport none the beats run straight on the scheduler; with
// -transport noop they run through the whole reactor (reactor.Reactor with
// instances over 1,000 services) and a transport that sends nothing, so
// the figures are the engine's own cost.
//
// The first beats are spread over one period; the first period is warm-up,
// and the summary covers the rest of the run. Ctrl-C ends the run early and
// still prints the summary. Figures are measured as bench/ measures them
// (package internal/measure): CPU is the process's getrusage time, memory
// per instance is the heap after adding minus before, each after a GC.
package main
