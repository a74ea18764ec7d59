// Package schedulertest is the contract of wheel.Scheduler as tests: Run
// puts any implementation through them on the real clock, so *wheel.Wheel
// and the RussellLuo adapter are held to the same promises (each arm fires
// once with its data and due time; Cancel and expiry exactly one of the
// two; Rearm of idle and pending entries, with new data; a Stop that waits
// for the Handler; dense Timer indices; safe concurrent use). It imports
// testing and is meant for _test.go files.
package schedulertest
