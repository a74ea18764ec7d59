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
		{"help of an unknown command", []string{"help", "bench"}, `unknown command "bench"`},
		{"serve: bad rate", []string{"serve", "-error-rate=2"}, "-error-rate 2: want a fraction from 0 to 1"},
		{"serve: rates add up", []string{"serve", "-error-rate=0.6", "-reset-rate=0.6"}, "-error-rate, -reset-rate and -malformed-rate add up to more than 1"},
		{"serve: remove before unhealthy", []string{"serve", "-remove-after=1s"}, "-remove-after 1s: shorter than -unhealthy-after 15s"},
		{"serve: beat interval", []string{"serve", "-beat-interval=10us"}, "-beat-interval 10µs: below 1ms"},
		{"serve: negative latency", []string{"serve", "-latency=-1s"}, "-latency -1s: must not be negative"},
		{"serve: password alone", []string{"serve", "-password=x"}, "-password without -username"},
		{"serve: negative max requests", []string{"serve", "-max-requests-per-conn=-1"}, "-max-requests-per-conn -1"},
		{"serve: negative idle timeout", []string{"serve", "-idle-timeout=-1s"}, "-idle-timeout -1s"},
		{"serve: restart-every alone", []string{"serve", "-restart-every=1s"}, "-restart-every needs -restart-after"},
		{"serve: bad addr", []string{"serve", "-addr=localhost"}, `-addr "localhost": not host:port`},
		{"tick longer than period", []string{"-tick=10s", "-period=5s"}, "-tick 10s: longer than -period 5s"},
		{"period below the reactor's", []string{"-period=1ms", "-tick=1ms"}, "-period 1ms: outside the reactor's range"},
		{"period above the reactor's", []string{"-period=1h"}, "-period 1h0m0s: outside the reactor's range"},
		{"tick below the wheel's", []string{"-tick=10us"}, "-tick 10µs: below the wheel's minimum"},
		{"port above 65535", []string{"-server=127.0.0.1:65536"}, "port 65536 is not from 1 to 65535"},
		{"more services than instances", []string{"-instances=5", "-services=6"}, "-services 6: more than the 5 -instances"},
		{"judging too short a window", []string{"-min-delivered=99", "-duration=10s"}, "-min-delivered with -duration 10s"},
		{"plot: nothing", []string{"plot"}, "no report files to plot"},
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
	commands := regexp.MustCompile(`(?m)^  run .*\n  serve .*\n  merge .*\n  plot .*\n  help `)
	for _, args := range [][]string{{"help"}, {"help", "help"}} {
		var stdout, stderr bytes.Buffer
		assert.Equal(t, exitOK, realMain(args, &stdout, &stderr), "%v", args)
		assert.Regexp(t, commands, stdout.String(), "%v", args)
		assert.Empty(t, stderr.String())
	}
	for _, cmd := range []string{"run", "serve", "merge", "plot"} {
		var stdout, stderr bytes.Buffer
		assert.Equal(t, exitOK, realMain([]string{"help", cmd}, &stdout, &stderr), cmd)
		assert.Regexp(t, `Usage: beatbench \[?`+cmd, stderr.String(), cmd)
	}
	var stdout, stderr bytes.Buffer
	assert.Equal(t, exitOK, realMain([]string{"-h"}, &stdout, &stderr))
	assert.Regexp(t, commands, stderr.String(), "beatbench -h lists the commands")
	assert.Contains(t, stderr.String(), "-html")
	assert.Contains(t, stderr.String(), "-keep")
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

// TestServeRestart: at each restart serve forgets every instance, as a
// restarted Nacos would, and says so in its log.
func TestServeRestart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	restarts := make(chan time.Time)
	done := make(chan error, 1)
	go func() {
		done <- serveWith(ctx, serveConfig{server: nacostest.Config{Addr: "127.0.0.1:0"}}, &out, restarts)
	}()
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "Nacos v1 naming on") }, 5*time.Second, 10*time.Millisecond)
	addr := regexp.MustCompile(`naming on (\S+) `).FindStringSubmatch(out.String())[1]
	register := func(ip string) {
		resp, err := http.Post("http://"+addr+"/nacos/v1/ns/instance?serviceName=s&port=80&ip="+ip, "text/plain", nil)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
	}
	register("10.0.0.1")
	register("10.0.0.2")
	restarts <- time.Now()
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "restarted: forgot 2 instances") }, 5*time.Second, 10*time.Millisecond)
	register("10.0.0.3")
	restarts <- time.Now()
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "restarted: forgot 1 instances") }, 5*time.Second, 10*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
}

func TestRestartTimer(t *testing.T) {
	once := newRestartTimer(time.Millisecond, 0)
	<-once.c
	select {
	case <-once.c:
		t.Fatal("a second restart without -restart-every")
	case <-time.After(50 * time.Millisecond):
	}
	once.stop()
	every := newRestartTimer(time.Millisecond, time.Millisecond)
	for range 3 {
		<-every.c
	}
	every.stop()
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
