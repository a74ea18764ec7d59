// Package russellluo adapts github.com/RussellLuo/timingwheel, a Go port of
// Kafka's hierarchical timing wheel, to the wheel.Scheduler interface, so the
// reactor can run on it and bench/ can compare it with our wheel in one run.
//
// The adapter adds what the interface promises and timingwheel does not:
// uint64 handles with generations (a handle kept after Cancel is stale, never
// another entry's), Rearm of an idle or pending entry, exactly one of "fired"
// and "Cancel returned true" per arm even when Cancel races the expiry, and a
// Stop that returns only after every task goroutine has. What it cannot hide
// is timingwheel's design: an allocation per arm, a goroutine per expiry, and
// whole-millisecond ticks that fire up to a tick early.
package russellluo
