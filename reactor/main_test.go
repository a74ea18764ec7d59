package reactor

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// Only the test against nacostest over the transport runs
		// fasthttp: its HostClient keeps a cleaner goroutine up to 10 s
		// after its last connection closed, and its Server a worker-pool
		// cleaner and a process-wide date ticker. The Reactor runs none.
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*HostClient).connsCleaner"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"),
	)
}
