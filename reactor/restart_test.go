package reactor_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/beatwheel/beatwheel/reactor"
	"github.com/beatwheel/beatwheel/transport"
	"github.com/beatwheel/beatwheel/transport/nacostest"
	"github.com/beatwheel/beatwheel/wheel"
)

// TestRestartedServerKnowsEveryInstanceOnePeriodLater: a Nacos-like server
// that restarts empty answers every light beat 20404; each instance's next
// beat is then full, which the server takes as a registration, so one
// period later it knows every instance again, without waiting for the
// rate-limited re-registrations (kept to one a second here). Only the
// instances' own state changes: the others' beats, and the permission,
// stay light.
func TestRestartedServerKnowsEveryInstanceOnePeriodLater(t *testing.T) {
	const (
		n    = 2000
		p    = 5 * time.Second
		step = 50 * time.Millisecond
	)
	srv, err := nacostest.Start(nacostest.Config{ClientBeatInterval: p})
	require.NoError(t, err)
	defer func() { require.NoError(t, srv.Close()) }()
	client, err := transport.New(transport.Config{Servers: []string{srv.Addr()}, Mode: transport.ModePipeline})
	require.NoError(t, err)
	defer client.Close()
	var w *wheel.Wheel
	r, err := reactor.New(reactor.Config{
		Transport:       client,
		ReregisterRate:  1,
		ReregisterBurst: 1,
		Scheduler: func(h wheel.Handler) (wheel.Scheduler, error) {
			var err error
			w, err = wheel.New(wheel.Config{Manual: true, Tick: time.Millisecond}, h)
			return w, err
		},
	})
	require.NoError(t, err)
	defer func() { require.NoError(t, r.Close(context.Background())) }()
	ctx := context.Background()
	for j := range n {
		b := &reactor.BeatInfo{
			ServiceName: fmt.Sprintf("DEFAULT_GROUP@@svc-%d", j%10),
			IP:          fmt.Sprintf("10.1.%d.%d", j/250, j%250+1),
			Port:        8080,
			Weight:      1,
			Period:      p,
		}
		require.NoError(t, client.Register(ctx, b))
		require.NoError(t, r.Add(b))
	}
	// run moves the clock through one period, a step at a time, each
	// step's beats answered before the next.
	now := time.Duration(0)
	run := func() reactor.Stats {
		t.Helper()
		for end := now + p; now < end; {
			now += step
			require.NoError(t, w.Advance(now))
			deadline := time.Now().Add(30 * time.Second)
			for {
				st := r.Stats()
				if st.Sent == st.Lateness.Count-st.Skipped {
					break
				}
				require.True(t, time.Now().Before(deadline), "beats handed out at %v not answered", now)
				runtime.Gosched()
			}
		}
		return r.Stats()
	}
	// Each period's beats, by outcome: the difference of two Stats.
	period := func() (ok, light, notFound uint64) {
		t.Helper()
		before := r.Stats()
		after := run()
		return after.OK - before.OK, after.Light - before.Light, after.Failed.NotFound - before.Failed.NotFound
	}
	ok, _, _ := period()
	require.Equal(t, uint64(n), ok, "first period: accepted")
	ok, light, _ := period()
	require.Equal(t, uint64(n), ok)
	require.Equal(t, uint64(n), light, "second period: light")

	srv.Restart()
	ok, light, notFound := period()
	assert.Zero(t, ok)
	assert.Equal(t, uint64(n), notFound, "third period: light beats, all unknown")
	assert.Equal(t, uint64(n), light)
	assert.Less(t, srv.Len(), n/10, "re-registrations alone are slow")
	ok, light, notFound = period()
	assert.Equal(t, n, srv.Len(), "fourth period: every instance known again")
	assert.Equal(t, uint64(n), ok)
	assert.Zero(t, notFound, "no 20404 after the full beats")
	assert.Zero(t, light, "full beats while unknown")
	ok, light, _ = period()
	assert.Equal(t, uint64(n), ok)
	assert.Equal(t, uint64(n), light, "light again once accepted")
}
