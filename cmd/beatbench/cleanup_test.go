package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/beatwheel/beatwheel/transport/nacostest"
)

// TestRunDeregisters: a run against -server deregisters what it
// registered when it ends, whether it ran its course or was interrupted
// (Ctrl-C), unless -keep.
func TestRunDeregisters(t *testing.T) {
	const n = 300
	tests := []struct {
		name      string
		keep      bool
		interrupt bool // cancel once every instance is registered
		left      int  // instances on the server after the run
	}{
		{name: "to the end", left: 0},
		{name: "interrupted", interrupt: true, left: 0},
		{name: "keep", keep: true, left: n},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := nacostest.Start(nacostest.Config{ClientBeatInterval: 200 * time.Millisecond})
			require.NoError(t, err)
			defer srv.Close()
			cfg := testConfig("nacos", "wheel")
			cfg.instances, cfg.servers, cfg.keep = n, []string{srv.Addr()}, tc.keep
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.interrupt {
				cfg.duration = time.Hour
				go func() {
					for srv.Counters().Registrations < n {
						time.Sleep(5 * time.Millisecond)
					}
					cancel()
				}()
			}
			var out bytes.Buffer
			rep, err := run(ctx, cfg, &out)
			require.NoError(t, err)
			assert.Equal(t, tc.interrupt, rep.Interrupted)
			c := srv.Counters()
			assert.Equal(t, uint64(n), c.Registrations)
			assert.Equal(t, tc.left, srv.Len())
			assert.Equal(t, uint64(n-tc.left), c.Deregistrations)
			if !tc.keep {
				assert.Contains(t, out.String(), "deregistered 300 instances in ")
			}
			// No beat after deregistering: nothing registers again.
			time.Sleep(3 * cfg.period)
			assert.Equal(t, tc.left, srv.Len(), "no beat after deregistration")
		})
	}
}

// fakeDeregisterer deregisters slowly, calling progress between, until
// ctx is done.
type fakeDeregisterer struct{ total int }

func (f fakeDeregisterer) deregister(ctx context.Context, progress func(done, total int)) (int, deregFailures) {
	for done := range f.total {
		if ctx.Err() != nil {
			return done, deregFailures{}
		}
		progress(done, f.total)
	}
	return f.total, deregFailures{n: 2, first: assert.AnError}
}

func TestCleanupMessages(t *testing.T) {
	var buf bytes.Buffer
	cleanupCtx(context.Background(), fakeDeregisterer{total: 3}, &printer{w: &buf})
	assert.Contains(t, buf.String(), "deregistering: 1 of 3\n")
	assert.Contains(t, buf.String(), "deregistered 3 instances in ")
	assert.Contains(t, buf.String(), "; 2 failed, the first: "+assert.AnError.Error())

	buf.Reset()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cleanupCtx(ctx, fakeDeregisterer{total: 3}, &printer{w: &buf})
	assert.Contains(t, buf.String(), "deregistration stopped after 0: the rest stay registered until the server drops them")
}

// TestRunEnvCredentials: the credentials may come from NACOS_USERNAME and
// NACOS_PASSWORD, and never show in the output.
func TestRunEnvCredentials(t *testing.T) {
	srv, err := nacostest.Start(nacostest.Config{Username: "nacos", Password: "s3cret", ClientBeatInterval: 200 * time.Millisecond})
	require.NoError(t, err)
	defer srv.Close()
	args := []string{"-server", srv.Addr(), "-instances=20", "-services=2", "-period=200ms", "-duration=600ms"}
	for _, tc := range []struct {
		name, password string
		want           int
	}{{"right", "s3cret", exitOK}, {"wrong", "nope", exitError}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("NACOS_USERNAME", "nacos")
			t.Setenv("NACOS_PASSWORD", tc.password)
			var stdout, stderr bytes.Buffer
			assert.Equal(t, tc.want, realMain(args, &stdout, &stderr), stderr.String())
			assert.NotContains(t, stdout.String()+stderr.String(), tc.password)
		})
	}
	assert.Equal(t, uint64(20), srv.Counters().Registrations)
	assert.Zero(t, srv.Len(), "deregistered at the end")
}
