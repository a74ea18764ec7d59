package bench

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no way of keeping beats alive leaves a goroutine
// behind once stopped, but for goroutines that a library starts and gives
// no way to stop.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// nacos-sdk-go v1.1.4 has no Close: every naming client starts a
		// service-list refresher that loops forever (HostReactor
		// .asyncUpdateService) and a UDP push receiver that reads forever
		// (PushReceiver.startServer.func1).
		goleak.IgnoreAnyFunction("github.com/nacos-group/nacos-sdk-go/clients/naming_client.(*HostReactor).asyncUpdateService"),
		goleak.IgnoreAnyFunction("github.com/nacos-group/nacos-sdk-go/clients/naming_client.(*PushReceiver).startServer.func1"),
		// Its log file writer (lumberjack v2.0.0) starts a goroutine that
		// never ends at the first line logged; at LogLevel "error" that is
		// the first failed request, which a busy machine may see.
		goleak.IgnoreAnyFunction("gopkg.in/natefinch/lumberjack%2ev2.(*Logger).millRun"),
		// fasthttp's HostClient (ours and the baseline) keeps a cleaner
		// goroutine up to MaxIdleConnDuration (10 s) after its last
		// connection closed.
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*HostClient).connsCleaner"),
		// fasthttp.PipelineClient (a BenchmarkBeatThroughput baseline) has
		// no Close; its dialer's address cache cleaner never ends.
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*pipelineConnClient).worker"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*pipelineConnClient).reader"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*pipelineConnClient).writer"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*TCPDialer).tcpAddrsClean"),
	)
}
