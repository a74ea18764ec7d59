package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/beatwheel/beatwheel/internal/beatload"
	"github.com/beatwheel/beatwheel/internal/measure"
	"github.com/beatwheel/beatwheel/reactor"
	"github.com/beatwheel/beatwheel/transport"
	"github.com/beatwheel/beatwheel/transport/nacostest"
)

// registerWorkers is how many chunks of instances are registered (or
// deregistered) at once. In ModePipeline a chunk travels pipelined over
// the beats' connections, and the transport bounds what is in flight
// (MaxInflightPerConn, the server's per-connection limit); in
// ModeHostClient a worker makes one call at a time, as many as the
// transport keeps connections for registrations in ModePipeline.
const registerWorkers = transport.PipelineRegisterConns

// registerChunk is the most instances a worker registers in one call. In
// ModePipeline what keeps the connections full is the depth of the queue
// behind them: against beatbench serve at 1M, 1M instances took 37.8 s
// in chunks of 64, 17.8 s of 1024, 11 s of 4096, 11.4 s of 16384.
const registerChunk = 4096

// chunkFor is the chunk size for a population of n: at most registerChunk,
// and small enough that each worker takes several chunks, so that
// instances reach the reactor through the registration, not in a few
// bursts at its end (at least 64, where the pipeline still fills).
func chunkFor(n int) int {
	return max(64, min(registerChunk, n/(8*registerWorkers)))
}

// closeTimeout bounds how long stopping waits for the reactor.
const closeTimeout = 10 * time.Second

// nacosLoad keeps instances alive on a Nacos server through the reactor
// and the HTTP transport: it registers each instance (at -ramp), then adds
// it to the reactor. Registration runs in the background.
type nacosLoad struct {
	srv    *nacostest.Server // embedded; nil with -server
	client *transport.Client
	obs    *observer
	r      *reactor.Reactor
	// instance builds the k-th instance of the shard.
	instance func(k int) *reactor.BeatInfo

	n         int64
	period    time.Duration // the server's interval when not -period; 0 otherwise
	added     atomic.Int64
	addedAt   atomic.Int64 // Unix ns; 0 until every instance is added
	allDone   chan struct{}
	next      atomic.Int64 // the next instance to register: workers took (and tried) those below
	regFailed atomic.Uint64
	firstErr  atomic.Pointer[error]

	cancel   context.CancelFunc
	workers  sync.WaitGroup
	haltOnce sync.Once
	stopOnce sync.Once
}

func startNacos(ctx context.Context, sched beatload.NewScheduler, cfg config, m *measure.Meter) (load, error) {
	l := &nacosLoad{n: int64(cfg.beating()), allDone: make(chan struct{})}
	servers := cfg.servers
	if len(servers) == 0 {
		srv, err := nacostest.Start(nacostest.Config{ClientBeatInterval: cfg.period, Username: cfg.username, Password: cfg.password})
		if err != nil {
			return nil, fmt.Errorf("starting the embedded server: %w", err)
		}
		l.srv = srv
		servers = []string{srv.Addr()}
	}
	client, err := transport.New(transport.Config{
		Servers:   servers,
		Namespace: cfg.ns,
		Username:  cfg.username,
		Password:  cfg.password,
		Mode:      cfg.mode,
		Conns:     cfg.conns,
	})
	if err != nil {
		l.Stop()
		return nil, err
	}
	l.client = client
	l.obs = newObserver(client)
	lc := loadConfig(cfg, m)
	lc.Transport = l.obs
	// One registration first, so that an unreachable server or a wrong
	// password is one clear error, not N; then one beat, whose answer
	// says the period the server wants.
	services := beatload.Services(cfg.services)
	first := beatload.Instance(lc.Instance(0), services, cfg.period)
	l.next.Store(1)
	if err := client.Register(ctx, first); err != nil {
		l.Stop()
		return nil, fmt.Errorf("registering at %s: %w", strings.Join(servers, ","), hint(err))
	}
	if lc.Period, err = serverPeriod(ctx, client, first); err != nil {
		l.Stop()
		return nil, fmt.Errorf("beating at %s: %w", strings.Join(servers, ","), hint(err))
	}
	if lc.Period < cfg.tick {
		l.Stop()
		return nil, fmt.Errorf("the server at %s asks for beats every %v (clientBeatInterval), shorter than -tick %v", strings.Join(servers, ","), lc.Period, cfg.tick)
	}
	if lc.Period != cfg.period {
		l.period = lc.Period
		first = beatload.Instance(lc.Instance(0), services, lc.Period)
	}
	l.obs.period = lc.Period
	l.instance = func(k int) *reactor.BeatInfo { return beatload.Instance(lc.Instance(k), services, lc.Period) }
	if l.r, err = beatload.NewReactor(sched, lc); err != nil {
		l.Stop()
		return nil, err
	}
	if err := l.r.Add(first); err != nil {
		l.Stop()
		return nil, err
	}
	l.addedOne()

	wctx, cancel := context.WithCancel(ctx)
	l.cancel = cancel
	limit, chunk := rate.Inf, chunkFor(int(l.n))
	if cfg.ramp > 0 {
		// About ten chunks a second, so that the ramp stays smooth.
		limit, chunk = rate.Limit(cfg.ramp), max(1, min(registerChunk, int(cfg.ramp/10)))
	}
	limiter := rate.NewLimiter(limit, chunk)
	l.workers.Add(registerWorkers)
	for range registerWorkers {
		go func() {
			defer l.workers.Done()
			var (
				infos []*reactor.BeatInfo
				errs  = make([]error, chunk)
			)
			inChunks(&l.next, int(l.n), chunk, func(lo, hi int) bool {
				if limiter.WaitN(wctx, hi-lo) != nil {
					return false
				}
				infos = lc.AppendInstances(infos[:0], lo, hi, services)
				l.register(wctx, infos, errs)
				return wctx.Err() == nil
			})
		}()
	}
	return l, nil
}

// serverPeriod sends b one full beat and returns the period its instances
// will beat at: the answer's clientBeatInterval within the reactor's range
// (as the reactor adopts it), or b.Period when the answer has none. The
// reactor adopts the server's interval from every answer, as a Nacos client
// does, so a load that counted on b.Period would expect beats the server
// never asked for.
func serverPeriod(ctx context.Context, client *transport.Client, b *reactor.BeatInfo) (time.Duration, error) {
	var res [1]reactor.BeatResult
	client.SendBeats(ctx, []reactor.Beat{{Info: b}}, res[:])
	switch {
	case res[0].Err != nil:
		return 0, res[0].Err
	case res[0].ClientBeatInterval <= 0:
		return b.Period, nil
	}
	return adopted(res[0].ClientBeatInterval), nil
}

// adopted is the period the reactor adopts from a server's
// clientBeatInterval, for a load whose reactor serverPeriod configured.
func adopted(interval time.Duration) time.Duration {
	return min(max(interval, reactor.MinPeriod), reactor.MaxPeriod).Truncate(time.Microsecond)
}

// inChunks calls fn(lo, hi) for chunks [lo, hi) of at most size taken from
// next (shared by the callers: each chunk goes to one), until next reaches
// n or fn returns false.
func inChunks(next *atomic.Int64, n, size int, fn func(lo, hi int) bool) {
	for {
		lo := int(next.Add(int64(size)) - int64(size))
		if lo >= n {
			return
		}
		if !fn(lo, min(lo+size, n)) {
			return
		}
	}
}

// register registers infos and adds them to the reactor. A failed
// registration is counted and the instance beats anyway: Nacos registers
// an unknown instance from its first full beat, and the reactor
// re-registers on 20404. errs is scratch, as long as infos at least.
func (l *nacosLoad) register(ctx context.Context, infos []*reactor.BeatInfo, errs []error) {
	errs = errs[:len(infos)]
	l.client.RegisterAll(ctx, infos, errs)
	if ctx.Err() != nil {
		return
	}
	for i, b := range infos {
		if err := errs[i]; err != nil {
			l.regFailed.Add(1)
			l.firstErr.CompareAndSwap(nil, &err)
		}
		if l.r.Add(b) == nil {
			l.addedOne()
		}
	}
}

// addedOne counts an instance added, and the time when it is the last.
func (l *nacosLoad) addedOne() {
	if l.added.Add(1) == l.n {
		l.addedAt.Store(time.Now().UnixNano())
		close(l.allDone)
	}
}

func (l *nacosLoad) allAdded() <-chan struct{} { return l.allDone }

// hint adds what a person can do about a registration error.
func hint(err error) error {
	switch {
	case errors.Is(err, transport.ErrAuth):
		return fmt.Errorf("%w (check -username and -password)", err)
	case errors.Is(err, transport.ErrConnection), errors.Is(err, transport.ErrTimeout):
		return fmt.Errorf("%w (is the server up and is -server right?)", err)
	}
	return err
}

func (l *nacosLoad) status() status {
	st := status{added: int(l.added.Load()), regFailed: l.regFailed.Load(), period: l.period}
	if ns := l.addedAt.Load(); ns != 0 {
		st.addedAt = time.Unix(0, ns)
	}
	if l.r != nil {
		s := l.r.Stats()
		st.stats = &s
		l.obs.fill(&st)
	}
	if l.srv != nil {
		c := l.srv.Counters()
		st.server = &c
	}
	if p := l.firstErr.Load(); p != nil {
		st.problems = fmt.Sprintf("%d registrations failed, the first: %v", st.regFailed, *p)
	}
	if l.obs != nil {
		if d := l.obs.changed(); d > 0 {
			st.problems = strings.TrimPrefix(st.problems+"; ", "; ") + fmt.Sprintf(
				"the server asked for beats every %v during the run, not %v as at the start: expected beats are counted at %v", d, l.obs.period, l.obs.period)
		}
	}
	return st
}

// halt stops registering and closes the reactor: no beat is sent after
// it returns, and the transport stays open to deregister.
func (l *nacosLoad) halt() {
	l.haltOnce.Do(func() {
		if l.cancel != nil {
			l.cancel()
		}
		l.workers.Wait()
		if l.r != nil {
			ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
			_ = l.r.Close(ctx) // fails only on ctx or deregistration: neither here
			cancel()
		}
	})
}

// registered returns how many instances of the shard were registered or
// tried: the first that many. Those are what deregister removes.
func (l *nacosLoad) registered() int { return int(min(l.next.Load(), l.n)) }

// deregister halts the load and deregisters every instance it registered
// or tried to, from -server only (the embedded server goes with the
// process), in chunks from registerWorkers workers as registration does,
// until ctx is done. It calls progress with the count done so far about
// once a second, and returns the count done and the failures.
func (l *nacosLoad) deregister(ctx context.Context, progress func(done, total int)) (done int, failed deregFailures) {
	l.halt()
	if l.srv != nil || l.client == nil {
		return 0, failed
	}
	total := l.registered()
	var (
		next   atomic.Int64
		ok     atomic.Int64
		mu     sync.Mutex
		wg     sync.WaitGroup
		finish = make(chan struct{})
	)
	for range min(registerWorkers, total) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var (
				chunk = chunkFor(total)
				infos []*reactor.BeatInfo
				errs  = make([]error, chunk)
			)
			inChunks(&next, total, chunk, func(lo, hi int) bool {
				infos = infos[:0]
				for k := lo; k < hi; k++ {
					infos = append(infos, l.instance(k))
				}
				l.client.DeregisterAll(ctx, infos, errs[:len(infos)])
				if ctx.Err() != nil {
					return false
				}
				for _, err := range errs[:len(infos)] {
					if err == nil {
						ok.Add(1)
						continue
					}
					mu.Lock()
					failed.n++
					if failed.first == nil {
						failed.first = err
					}
					mu.Unlock()
				}
				return true
			})
		}()
	}
	go func() { wg.Wait(); close(finish) }()
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
			progress(int(ok.Load()), total)
		case <-finish:
			return int(ok.Load()), failed
		}
	}
}

// deregFailures counts failed deregistrations.
type deregFailures struct {
	n     int
	first error
}

// Stop halts the load and closes the transport and the embedded server.
func (l *nacosLoad) Stop() {
	l.halt()
	l.stopOnce.Do(func() {
		if l.client != nil {
			_ = l.client.Close()
		}
		if l.srv != nil {
			_ = l.srv.Close()
		}
	})
}
