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

// registerWorkers is how many registrations are in flight at once: as
// many as the transport has connections for them in ModePipeline (more
// would only queue, and time out on a busy machine).
const registerWorkers = transport.PipelineRegisterConns

// closeTimeout bounds how long stopping waits for the reactor.
const closeTimeout = 10 * time.Second

// nacosLoad keeps instances alive on a Nacos server through the reactor
// and the HTTP transport: it registers each instance (at -ramp), then adds
// it to the reactor. Registration runs in the background.
type nacosLoad struct {
	srv    *nacostest.Server // embedded; nil with -server
	client *transport.Client
	r      *reactor.Reactor

	t0        time.Time
	n         int64
	added     atomic.Int64
	addTook   atomic.Int64 // ns; 0 until every instance is added
	regFailed atomic.Uint64
	firstErr  atomic.Pointer[error]

	cancel   context.CancelFunc
	workers  sync.WaitGroup
	stopOnce sync.Once
}

func startNacos(ctx context.Context, sched beatload.NewScheduler, cfg config, m *measure.Meter) (load, error) {
	l := &nacosLoad{t0: time.Now(), n: int64(cfg.beating())}
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
	lc := loadConfig(cfg, m)
	lc.Transport = client
	if l.r, err = beatload.NewReactor(sched, lc); err != nil {
		l.Stop()
		return nil, err
	}
	// One registration first, so that an unreachable server or a wrong
	// password is one clear error, not N.
	services := beatload.Services(cfg.services)
	first := beatload.Instance(lc.Instance(0), services, cfg.period)
	if err := client.Register(ctx, first); err != nil {
		l.Stop()
		return nil, fmt.Errorf("registering at %s: %w", strings.Join(servers, ","), hint(err))
	}
	if err := l.r.Add(first); err != nil {
		l.Stop()
		return nil, err
	}
	l.addedOne()

	wctx, cancel := context.WithCancel(ctx)
	l.cancel = cancel
	limit := rate.Inf
	if cfg.ramp > 0 {
		limit = rate.Limit(cfg.ramp)
	}
	limiter := rate.NewLimiter(limit, registerWorkers)
	var next atomic.Int64
	next.Store(1)
	l.workers.Add(registerWorkers)
	for range registerWorkers {
		go func() {
			defer l.workers.Done()
			for k := int(next.Add(1) - 1); k < int(l.n); k = int(next.Add(1) - 1) {
				if limiter.Wait(wctx) != nil {
					return
				}
				l.register(wctx, beatload.Instance(lc.Instance(k), services, cfg.period))
			}
		}()
	}
	return l, nil
}

// register registers b and adds it to the reactor. A failed registration
// is counted and the instance beats anyway: Nacos registers an unknown
// instance from its first full beat, and the reactor re-registers on 20404.
func (l *nacosLoad) register(ctx context.Context, b *reactor.BeatInfo) {
	if err := l.client.Register(ctx, b); err != nil {
		if ctx.Err() != nil {
			return
		}
		l.regFailed.Add(1)
		l.firstErr.CompareAndSwap(nil, &err)
	}
	if l.r.Add(b) == nil {
		l.addedOne()
	}
}

// addedOne counts an instance added, and the time when it is the last.
func (l *nacosLoad) addedOne() {
	if l.added.Add(1) == l.n {
		l.addTook.Store(int64(max(time.Since(l.t0), 1)))
	}
}

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
	st := status{added: int(l.added.Load()), addTook: time.Duration(l.addTook.Load()), regFailed: l.regFailed.Load()}
	if l.r != nil {
		s := l.r.Stats()
		st.stats = &s
	}
	if l.srv != nil {
		c := l.srv.Counters()
		st.server = &c
	}
	if p := l.firstErr.Load(); p != nil {
		st.problems = fmt.Sprintf("%d registrations failed, the first: %v", st.regFailed, *p)
	}
	return st
}

// Stop stops registering, closes the reactor, the transport and the
// embedded server, in that order.
func (l *nacosLoad) Stop() {
	l.stopOnce.Do(func() {
		if l.cancel != nil {
			l.cancel()
		}
		l.workers.Wait()
		if l.r != nil {
			ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
			_ = l.r.Close(ctx) // fails only on ctx or deregistration: neither here
			cancel()
		}
		if l.client != nil {
			_ = l.client.Close()
		}
		if l.srv != nil {
			_ = l.srv.Close()
		}
	})
}
