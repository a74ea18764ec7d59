package reliability

import (
	"flag"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// longFlag selects the long forms; BEATWHEEL_LONG=1 does the same, so that
// `go test ./...` can run them without the flag reaching other packages.
var longFlag = flag.Bool("long", false, "run the long forms of the reliability tests (also BEATWHEEL_LONG=1)")

func long() bool { return *longFlag || os.Getenv("BEATWHEEL_LONG") == "1" }

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// fasthttp's HostClient (registrations, logins) keeps a cleaner
		// goroutine for up to MaxIdleConnDuration (10 s) after its last
		// connection closed.
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*HostClient).connsCleaner"),
		// The oversized-body test server's worker-pool cleaner outlives
		// Shutdown by up to 10 s.
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"),
	)
}
