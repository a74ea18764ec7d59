// Package bench compares ways of keeping huge numbers of heartbeats alive:
// our wheel, the RussellLuo/timingwheel adapter, one time.AfterFunc per
// instance, and one goroutine per instance; and, beside them, the whole
// reactor on our wheel with a no-op transport. End to end, it runs the
// reactor over our HTTP transport and nacos-sdk-go v1 against an in-process
// nacostest server, and compares our transport's raw beat throughput with
// fasthttp's clients. It is its own module, as zap's benchmarks are, so
// that the competitors it measures never become dependencies of the
// library.
//
// Everything is in test files: scenario_test.go holds the shared scenario
// and measurement protocol, and each other file one way of keeping beats
// alive; endtoend_test.go and fasthttp_test.go hold the end-to-end and raw
// client benchmarks. See README.md for how to run it.
package bench
