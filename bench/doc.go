// Package bench compares ways of keeping huge numbers of heartbeats alive:
// our wheel, the RussellLuo/timingwheel adapter, one time.AfterFunc per
// instance, and one goroutine per instance; and, beside them, the whole
// reactor on our wheel with a no-op transport, fresh, (reactor-replaced)
// after every instance has been removed and replaced by another, and
// (reactor-churn) under steady churn, a tenth of the instances replaced
// every minute. End to
// end, it runs the reactor over our HTTP transport and nacos-sdk-go v1
// against an in-process nacostest server, and compares our transport's raw
// beat throughput with fasthttp's clients. It is its own module, as zap's benchmarks are, so
// that the competitors it measures never become dependencies of the
// library.
//
// Everything is in test files: scenario_test.go holds the shared scenario
// and measurement protocol; wheel_test.go, russellluo_test.go,
// afterfunc_test.go and goroutine_test.go each one way of keeping beats
// alive, and reactor_test.go the reactor, reactor-replaced and
// reactor-churn rows;
// endtoend_test.go and fasthttp_test.go hold the end-to-end and raw client
// benchmarks; wakeup_test.go measures what one timer wake-up costs, the
// floor under every ticking way; harness_test.go holds the quick tests
// that run without -bench. See README.md for how to run it.
package bench
