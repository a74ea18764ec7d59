package transport

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beatwheel/beatwheel/reactor"
	"github.com/beatwheel/beatwheel/transport/nacostest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// population makes n distinct instances; every bad-th (when bad > 0) has
// port 0, which Validate refuses.
func population(n, bad int) []*reactor.BeatInfo {
	infos := make([]*reactor.BeatInfo, n)
	for i := range infos {
		infos[i] = &reactor.BeatInfo{
			ServiceName: fmt.Sprintf("DEFAULT_GROUP@@svc-%d", i%7),
			IP:          fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255),
			Port:        8080, Weight: 1, Metadata: map[string]string{"zone": "a"},
		}
		if bad > 0 && i%bad == bad-1 {
			infos[i].Port = 0
		}
	}
	return infos
}

// callAll runs call (RegisterAll or DeregisterAll) over infos in chunks
// of chunk from 4 goroutines and returns each instance's error.
func callAll(c *Client, call func(*Client, context.Context, []*reactor.BeatInfo, []error), infos []*reactor.BeatInfo, chunk int) []error {
	errs := make([]error, len(infos))
	var (
		wg   sync.WaitGroup
		next atomic.Int64
	)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				lo := int(next.Add(int64(chunk))) - chunk
				if lo >= len(infos) {
					return
				}
				hi := min(lo+chunk, len(infos))
				call(c, bg(), infos[lo:hi], errs[lo:hi])
			}
		}()
	}
	wg.Wait()
	return errs
}

// TestRegisterAll: against nacostest, which ends every connection after
// 100 requests, RegisterAll then DeregisterAll reach the server once per
// valid instance, in either mode; an invalid instance gets Validate's
// error and is not sent.
func TestRegisterAll(t *testing.T) {
	n := 100_000
	if raceEnabled {
		n = 20_000
	}
	const bad = 997
	tests := []struct {
		mode  Mode
		n     int
		conns int
	}{
		{ModePipeline, n, 4},
		{ModeHostClient, 2_000, 16},
	}
	for _, tt := range tests {
		t.Run(tt.mode.String(), func(t *testing.T) {
			// No beat follows these registrations: the server must keep
			// the instances however long a busy machine takes to
			// register them all (Nacos removes one 30 s after its last
			// beat).
			srv, err := nacostest.Start(nacostest.Config{UnhealthyAfter: time.Hour, RemoveAfter: time.Hour})
			require.NoError(t, err)
			t.Cleanup(func() { _ = srv.Close() })
			c := newClient(t, Config{Servers: []string{srv.Addr()}, Mode: tt.mode, Conns: tt.conns})
			infos := population(tt.n, bad)
			invalid := tt.n / bad

			check := func(errs []error) {
				t.Helper()
				failed := 0
				for i, err := range errs {
					if infos[i].Port == 0 {
						require.ErrorIs(t, err, reactor.ErrPort, i)
						continue
					}
					if err != nil {
						failed++
						assert.NoError(t, err, i)
						require.Less(t, failed, 10, "and more")
					}
				}
			}
			check(callAll(c, (*Client).RegisterAll, infos, 1000))
			cs := srv.Counters()
			assert.EqualValues(t, tt.n-invalid, cs.Registrations, "each valid instance registered once")
			assert.Equal(t, tt.n-invalid, srv.Len())

			check(callAll(c, (*Client).DeregisterAll, infos, 1000))
			cs = srv.Counters()
			assert.EqualValues(t, tt.n-invalid, cs.Deregistrations, "each valid instance deregistered once")
			assert.Zero(t, srv.Len())
			assert.EqualValues(t, 2*(tt.n-invalid), cs.Requests)
			if tt.mode == ModePipeline {
				assert.GreaterOrEqual(t, c.Stats().ConnsDialled, uint64(2*(tt.n-invalid)/100))
			}
		})
	}
}

// TestRegisterAllOrderlyClose: registrations and deregistrations in
// flight when the server ends the connection (FIN or reset) are sent once
// more on a new connection; when that one also ends before answering,
// they fail with a connection error, each once.
func TestRegisterAllOrderlyClose(t *testing.T) {
	calls := []struct {
		name string
		call func(*Client, context.Context, []*reactor.BeatInfo, []error)
	}{
		{"register", (*Client).RegisterAll},
		{"deregister", (*Client).DeregisterAll},
	}
	for _, cl := range calls {
		for _, reset := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/reset=%t", cl.name, reset), func(t *testing.T) {
				rs, conns := planServer(t, connPlan{read: 10, answer: 3, reset: reset})
				c := newClient(t, Config{Servers: []string{rs.addr}, Mode: ModePipeline, Conns: 1})
				errs := make([]error, 10)
				cl.call(c, bg(), population(10, 0), errs)
				for i, err := range errs {
					require.NoError(t, err, i)
				}
				assert.EqualValues(t, 2, conns.Load())
				st := c.Stats()
				assert.EqualValues(t, 1, st.ServerCloses)
				assert.GreaterOrEqual(t, st.Resent, uint64(7))
				assert.LessOrEqual(t, st.Resent, uint64(10))
			})
		}
		t.Run(cl.name+"/twice", func(t *testing.T) {
			rs, _ := planServer(t, connPlan{read: 10, answer: 3}, connPlan{read: 7, answer: 3})
			c := newClient(t, Config{Servers: []string{rs.addr}, Mode: ModePipeline, Conns: 1})
			errs := make([]error, 10)
			cl.call(c, bg(), population(10, 0), errs)
			for i, err := range errs {
				if i < 6 {
					assert.NoError(t, err, i)
				} else {
					assert.ErrorIs(t, err, ErrConnection, i)
				}
			}
			assert.EqualValues(t, 7, c.Stats().Resent)
		})
	}
}

// TestRegisterAllErrors: a registration the server refuses fails with its
// StatusError; nothing is sent once the client is closed or ctx is done.
func TestRegisterAllErrors(t *testing.T) {
	srv, err := nacostest.Start(nacostest.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	require.NoError(t, srv.SetFaults(nacostest.Faults{ErrorRate: 1}))
	c := newClient(t, Config{Servers: []string{srv.Addr()}, Mode: ModePipeline, Conns: 2})
	infos := population(100, 0)
	errs := make([]error, len(infos))
	c.RegisterAll(bg(), infos, errs)
	for i, err := range errs {
		var se *StatusError
		require.ErrorAs(t, err, &se, i)
		assert.Equal(t, 500, se.Status, i)
	}

	ctx, cancel := context.WithCancel(bg())
	cancel()
	c.RegisterAll(ctx, infos, errs)
	for i, err := range errs {
		require.ErrorIs(t, err, context.Canceled, i)
	}
	require.NoError(t, c.Close())
	c.DeregisterAll(bg(), infos, errs)
	for i, err := range errs {
		require.ErrorIs(t, err, ErrClosed, i)
	}
	assert.EqualValues(t, 100, srv.Counters().Errors)
}
