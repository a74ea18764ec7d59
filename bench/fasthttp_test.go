package bench

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/beatwheel/beatwheel/internal/measure"
	"github.com/beatwheel/beatwheel/reactor"
	"github.com/beatwheel/beatwheel/transport"
	"github.com/beatwheel/beatwheel/transport/nacostest"
)

// Flags of BenchmarkBeatThroughput.
var (
	tpInstancesFlag  = flag.Int("tpinstances", 10000, "instances registered and beaten by BenchmarkBeatThroughput")
	tpConnsFlag      = flag.Int("tpconns", 4, "connections of every client in BenchmarkBeatThroughput")
	tpGoroutinesFlag = flag.Int("tpgoroutines", 64, "goroutines driving each client in BenchmarkBeatThroughput")
	tpBatchFlag      = flag.Int("tpbatch", 64, "beats per SendBeats call of the transport clients in BenchmarkBeatThroughput")
	tpWindowFlag     = flag.Duration("tpwindow", 5*time.Second, "how long BenchmarkBeatThroughput drives each client")
	tpLimitsFlag     = flag.String("tplimits", "100,off", "the servers' requests per connection in BenchmarkBeatThroughput, comma-separated: a number (100: Tomcat's default, as under Nacos 1.x) or off")
)

// tpConfig is one throughput run: light beats of instances registered up
// front, driven as fast as the client takes them.
type tpConfig struct {
	instances  int
	conns      int // connections per client
	goroutines int // goroutines driving the client
	batch      int // beats per SendBeats call (transport clients)
	window     time.Duration
	limit      int // the server's requests per connection; negative: none
}

// limitName names a server's requests per connection: "limit=100" or
// "limit=off".
func limitName(limit int) string {
	if limit < 0 {
		return "limit=off"
	}
	return "limit=" + strconv.Itoa(limit)
}

// parseLimits parses -tplimits.
func parseLimits(s string) ([]int, error) {
	var limits []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "off" {
			limits = append(limits, -1)
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bad limit %q: want a positive number or off", f)
		}
		limits = append(limits, n)
	}
	return limits, nil
}

// tpClient is one client under test. newWorker returns the loop body of
// driving goroutine g: it sends beats (one, or a batch) and returns how
// many were accepted (10200) and how many were not.
type tpClient struct {
	name string
	// goroutines is how many goroutines drive it.
	goroutines int
	newWorker  func(g int) func() (ok, failed int)
	close      func()
}

// tpClients lists the clients, in the order they run. The transport
// clients get goroutines x batch beats in flight; each fasthttp client
// runs twice: with goroutines goroutines (one beat each, as its API is
// used) and with goroutines x batch goroutines, the transport's in-flight
// count.
func tpClients(addr string, infos []*reactor.BeatInfo, cfg tpConfig) []func() (tpClient, error) {
	return []func() (tpClient, error){
		func() (tpClient, error) { return transportTP(addr, infos, cfg, transport.ModePipeline) },
		func() (tpClient, error) { return transportTP(addr, infos, cfg, transport.ModeHostClient) },
		func() (tpClient, error) { return fasthttpTP(addr, infos, cfg, "fasthttp.PipelineClient", 1) },
		func() (tpClient, error) { return fasthttpTP(addr, infos, cfg, "fasthttp.PipelineClient", cfg.batch) },
		func() (tpClient, error) { return fasthttpTP(addr, infos, cfg, "fasthttp.HostClient", 1) },
		func() (tpClient, error) { return fasthttpTP(addr, infos, cfg, "fasthttp.HostClient", cfg.batch) },
	}
}

// transportTP drives a transport.Client in mode with cfg.conns connections
// (pipeline) or at most cfg.conns connections (hostclient), each goroutine
// sending batches of cfg.batch light beats.
func transportTP(addr string, infos []*reactor.BeatInfo, cfg tpConfig, mode transport.Mode) (tpClient, error) {
	tr, err := transport.New(transport.Config{Servers: []string{addr}, Mode: mode, Conns: cfg.conns})
	if err != nil {
		return tpClient{}, err
	}
	ctx := context.Background()
	return tpClient{
		name:       fmt.Sprintf("%s/g=%d", mode, cfg.goroutines),
		goroutines: cfg.goroutines,
		newWorker: func(g int) func() (int, int) {
			beats := make([]reactor.Beat, cfg.batch)
			res := make([]reactor.BeatResult, cfg.batch)
			next := g * cfg.batch
			return func() (ok, failed int) {
				for i := range beats {
					beats[i] = reactor.Beat{Info: infos[next%len(infos)], Light: true}
					next++
				}
				next += (cfg.goroutines - 1) * cfg.batch
				tr.SendBeats(ctx, beats, res)
				for i := range res {
					if res[i].Err == nil && res[i].Code == reactor.CodeOK {
						ok++
					} else {
						failed++
					}
				}
				return ok, failed
			}
		},
		close: func() { _ = tr.Close() },
	}, nil
}

// quietLogger is a fasthttp.Logger that drops everything.
type quietLogger struct{}

func (quietLogger) Printf(string, ...any) {}

// doer is what fasthttp.PipelineClient and fasthttp.HostClient share.
type doer interface {
	Do(req *fasthttp.Request, resp *fasthttp.Response) error
}

// fasthttpTP drives a fasthttp client of the kind named, with cfg.conns
// connections, from cfg.goroutines x mult goroutines, each sending one
// light beat per Do: the request the transport sends (PUT, the same query
// and headers but RequestId), built per request by appending bytes, and
// its answer checked for code 10200 with a byte search (cheaper than the
// transport's parse).
func fasthttpTP(addr string, infos []*reactor.BeatInfo, cfg tpConfig, kind string, mult int) (tpClient, error) {
	var (
		c       doer
		closeFn func()
	)
	switch kind {
	case "fasthttp.PipelineClient":
		pc := &fasthttp.PipelineClient{
			Addr: addr, MaxConns: cfg.conns, MaxPendingRequests: transport.DefaultMaxInflightPerConn,
			ReadTimeout: transport.DefaultTimeout, WriteTimeout: transport.DefaultTimeout,
			NoDefaultUserAgentHeader: true, DisableHeaderNamesNormalizing: true, DisablePathNormalizing: true,
			Logger: quietLogger{}, // it logs every connection the server ends; failures count them
		}
		c, closeFn = pc, func() {} // a PipelineClient has no Close
	case "fasthttp.HostClient":
		hc := &fasthttp.HostClient{
			Addr: addr, MaxConns: cfg.conns, MaxConnWaitTimeout: transport.DefaultTimeout,
			ReadTimeout: transport.DefaultTimeout, WriteTimeout: transport.DefaultTimeout,
			NoDefaultUserAgentHeader: true, DisableHeaderNamesNormalizing: true, DisablePathNormalizing: true,
		}
		c, closeFn = hc, hc.CloseIdleConnections
	default:
		return tpClient{}, fmt.Errorf("unknown client %q", kind)
	}
	goroutines := cfg.goroutines * mult
	// The escaped service names, as the transport would send them.
	escaped := make(map[string]string)
	for _, b := range infos {
		if _, ok := escaped[b.ServiceName]; !ok {
			escaped[b.ServiceName] = url.QueryEscape(b.ServiceName)
		}
	}
	prefix := "http://" + addr + "/nacos/v1/ns/instance/beat?serviceName="
	return tpClient{
		name:       fmt.Sprintf("%s/g=%d", kind, goroutines),
		goroutines: goroutines,
		newWorker: func(g int) func() (int, int) {
			req, resp := new(fasthttp.Request), new(fasthttp.Response)
			uri := make([]byte, 0, 256)
			next := g
			return func() (ok, failed int) {
				b := infos[next%len(infos)]
				next += goroutines
				uri = append(uri[:0], prefix...)
				uri = append(uri, escaped[b.ServiceName]...)
				uri = append(uri, "&clusterName=DEFAULT&ip="...)
				uri = append(uri, b.IP...)
				uri = append(uri, "&port="...)
				uri = strconv.AppendInt(uri, int64(b.Port), 10)
				req.Reset()
				req.SetRequestURIBytes(uri)
				req.Header.SetMethod(fasthttp.MethodPut)
				req.Header.SetContentType("application/x-www-form-urlencoded;charset=UTF-8")
				req.Header.SetUserAgent("Nacos-Java-Client:v1.4.1")
				req.Header.Set("Client-Version", "1.4.1")
				req.Header.Set("Request-Module", "Naming")
				if err := c.Do(req, resp); err != nil || resp.StatusCode() != fasthttp.StatusOK ||
					!bytes.Contains(resp.Body(), []byte(`"code":10200`)) {
					return 0, 1
				}
				return 1, 0
			}
		},
		close: closeFn,
	}, nil
}

// tpResult is what one throughput run measured.
type tpResult struct {
	delivered  uint64        // beats the server counted in the window
	ok, failed uint64        // answers the client saw: 10200, and anything else
	elapsed    time.Duration // from the first goroutine started to the last stopped
	cpu        time.Duration // process CPU time (client and server)
	mallocs    uint64        // heap allocations in the process
}

// runTP drives cl for window against srv.
func runTP(srv *nacostest.Server, cl tpClient, window time.Duration) tpResult {
	workers := make([]func() (int, int), cl.goroutines)
	for g := range workers {
		workers[g] = cl.newWorker(g)
	}
	var (
		stop       atomic.Bool
		ok, failed atomic.Uint64
		wg         sync.WaitGroup
	)
	c0, cpu0, m0, t0 := srv.Counters(), measure.CPUTime(), measure.Mallocs(), time.Now()
	for _, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var o, f int
			for !stop.Load() {
				a, b := w()
				o, f = o+a, f+b
			}
			ok.Add(uint64(o))
			failed.Add(uint64(f))
		}()
	}
	time.Sleep(window)
	stop.Store(true)
	wg.Wait()
	var r tpResult
	r.elapsed = time.Since(t0)
	c1, cpu1, m1 := srv.Counters(), measure.CPUTime(), measure.Mallocs()
	r.delivered = c1.Beats - c0.Beats
	r.ok, r.failed = ok.Load(), failed.Load()
	r.cpu, r.mallocs = cpu1-cpu0, m1-m0
	return r
}

func (r tpResult) report(b *testing.B) {
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(float64(r.delivered)/r.elapsed.Seconds(), "beats/s")
	if r.delivered > 0 {
		b.ReportMetric(float64(r.cpu)/float64(r.delivered), "ns/beat")
		b.ReportMetric(float64(r.mallocs)/float64(r.delivered), "allocs/beat")
	}
	b.ReportMetric(float64(r.cpu)/float64(r.elapsed), "cores")
	b.ReportMetric(float64(r.failed), "failures")
}

// tpServer starts a nacostest server that answers cfg.limit requests per
// connection and registers cfg.instances instances of beatload's
// population through a transport.Client.
func tpServer(cfg tpConfig) (*nacostest.Server, []*reactor.BeatInfo, error) {
	srv, err := nacostest.Start(nacostest.Config{MaxRequestsPerConn: cfg.limit})
	if err != nil {
		return nil, nil, err
	}
	infos := population(cfg.instances, reactor.DefaultPeriod)
	tr, err := transport.New(transport.Config{Servers: []string{srv.Addr()}})
	if err == nil {
		err = registerAll(context.Background(), tr, infos, e2eRegisterWorkers)
		_ = tr.Close()
	}
	if err != nil {
		_ = srv.Close()
		return nil, nil, err
	}
	return srv, infos, nil
}

// BenchmarkBeatThroughput drives a nacostest server at full speed with
// light beats of registered instances from each client in turn, all with
// the same connections, once per server limit of -tplimits (by default a
// server that ends each connection after 100 requests, as Tomcat under
// Nacos 1.x does, and one that never does):
// BenchmarkBeatThroughput/limit=<n|off>/<client>/g=<goroutines>.
// beats/s is the server's count; ns/beat is process CPU, so it includes
// the server; failures are beats the client saw fail. Run with
// -benchtime=1x.
func BenchmarkBeatThroughput(b *testing.B) {
	cfg := tpConfig{instances: *tpInstancesFlag, conns: *tpConnsFlag, goroutines: *tpGoroutinesFlag,
		batch: *tpBatchFlag, window: *tpWindowFlag}
	if cfg.instances < 1 || cfg.conns < 1 || cfg.goroutines < 1 || cfg.batch < 1 || cfg.window <= 0 {
		b.Fatalf("bad throughput flags: %+v", cfg)
	}
	limits, err := parseLimits(*tpLimitsFlag)
	if err != nil {
		b.Fatal(err)
	}
	for _, limit := range limits {
		cfg.limit = limit
		b.Run(limitName(limit), func(b *testing.B) {
			srv, infos, err := tpServer(cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Close()
			for _, mk := range tpClients(srv.Addr(), infos, cfg) {
				cl, err := mk()
				if err != nil {
					b.Fatal(err)
				}
				b.Run(cl.name, func(b *testing.B) {
					defer cl.close()
					runTP(srv, cl, cfg.window).report(b)
				})
			}
		})
	}
}
