package main

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/beatwheel/beatwheel/transport/nacostest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// fasthttp's HostClient, which transport.Client uses for
		// registrations, keeps a cleaner goroutine up to 10 s after its
		// last connection closed; fasthttp offers no way to stop it.
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*HostClient).connsCleaner"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*TCPDialer).tcpAddrsClean"),
	)
}

func TestRealMainBadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"negative instances", []string{"-instances=-1"}, "-instances -1"},
		{"zero period", []string{"-period=0s"}, "-period 0s"},
		{"unknown scheduler", []string{"-scheduler=heap"}, `-scheduler "heap"`},
		{"unknown transport", []string{"-transport=grpc"}, `-transport "grpc"`},
		{"unknown command", []string{"bench"}, `unknown command "bench"`},
		{"serve: bad rate", []string{"serve", "-error-rate=2"}, "ErrorRate"},
		{"serve: stray argument", []string{"serve", "x"}, `unexpected argument "x"`},
		{"unknown flag", []string{"-nope"}, "flag provided but not defined: -nope"},
		{"not a number", []string{"-instances=lots"}, `invalid value "lots" for flag -instances`},
		{"bad shard", []string{"-shard=4/4"}, `invalid value "4/4" for flag -shard: want 0 <= i < n`},
		{"empty shard", []string{"-instances=1", "-shard=1/2"}, "-shard 1/2 of 1 instances is empty"},
		{"gate above 100", []string{"-min-delivered=120"}, "-min-delivered 120"},
		{"merge: nothing", []string{"merge"}, "no report files to merge"},
		{"merge: unknown flag", []string{"merge", "-shard=0/1", "a.json"}, "flag provided but not defined: -shard"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			assert.Equal(t, exitUsage, realMain(tc.args, &stdout, &stderr))
			assert.Empty(t, stdout.String())
			assert.Contains(t, stderr.String(), tc.want)
			assert.True(t, strings.HasPrefix(stderr.String(), "beatbench: "), stderr.String())
			assert.Equal(t, 1, strings.Count(stderr.String(), "\n"), "one line: %q", stderr.String())
		})
	}
}

func TestRealMainHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	assert.Equal(t, exitOK, realMain([]string{"-h"}, &stdout, &stderr))
	assert.Contains(t, stderr.String(), "-instances")
	assert.Contains(t, stderr.String(), "-scheduler")
	assert.Contains(t, stderr.String(), "-min-delivered")
	assert.Contains(t, stderr.String(), "3 delivered below -min-delivered")
	stderr.Reset()
	assert.Equal(t, exitOK, realMain([]string{"merge", "-h"}, &stdout, &stderr))
	assert.Contains(t, stderr.String(), "Usage: beatbench merge")
}

// TestServe runs beatbench serve briefly, beats one instance against it,
// and checks that its counter lines show it.
func TestServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, serveConfig{server: nacostest.Config{Addr: "127.0.0.1:0"}, duration: 1500 * time.Millisecond}, &out)
	}()
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "Nacos v1 naming on") }, 5*time.Second, 10*time.Millisecond)
	addr := regexp.MustCompile(`naming on (\S+) `).FindStringSubmatch(out.String())[1]
	resp, err := http.Post("http://"+addr+"/nacos/v1/ns/instance?serviceName=s&ip=10.0.0.1&port=80", "text/plain", nil)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.NoError(t, <-done)
	assert.Regexp(t, `(?m)^\s+1s\s+1\s`, out.String(), "one instance after a second:\n%s", out.String())
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
