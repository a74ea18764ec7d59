package main

import (
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	tr "github.com/beatwheel/beatwheel/transport"
)

func TestParseFlags(t *testing.T) {
	defaults := config{instances: 100_000, services: 1000, period: 5 * time.Second, duration: defaultDuration,
		tick: 10 * time.Millisecond, scheduler: "wheel", transport: "nacos", mode: tr.ModePipeline, shard: noShard}
	with := func(f func(*config)) config {
		c := defaults
		f(&c)
		return c
	}
	tests := []struct {
		name    string
		args    []string
		want    config
		wantErr string
	}{
		{name: "defaults", args: nil, want: defaults},
		{name: "scheduler only", args: []string{"-instances", "1000000", "-period=2s", "-duration=1m", "-tick=1ms", "-scheduler=russellluo", "-transport=none"},
			want: with(func(c *config) {
				c.instances, c.period, c.duration, c.tick, c.scheduler, c.transport = 1_000_000, 2*time.Second, time.Minute, time.Millisecond, "russellluo", "none"
			})},
		{name: "nacos flags", args: []string{"-server", "10.0.0.1:8848,10.0.0.2:8848", "-server=[::1]:8848", "-mode=hostclient", "-conns=8", "-senders=16",
			"-namespace=dev", "-username=nacos", "-password=secret", "-ramp=500", "-services=7"},
			want: with(func(c *config) {
				c.servers = []string{"10.0.0.1:8848", "10.0.0.2:8848", "[::1]:8848"}
				c.mode, c.conns, c.senders, c.ns, c.username, c.password, c.ramp, c.services = tr.ModeHostClient, 8, 16, "dev", "nacos", "secret", 500, 7
			})},
		{name: "one instance", args: []string{"-instances=1"}, want: with(func(c *config) { c.instances = 1 })},
		{name: "report flags", args: []string{"-json=out.json", "-min-delivered=99.5", "-shard=2/3"},
			want: with(func(c *config) { c.json, c.minDelivered, c.shard = "out.json", 99.5, shard{index: 2, count: 3} })},
		{name: "last shard of few", args: []string{"-instances=3", "-shard", " 2 / 3 "},
			want: with(func(c *config) { c.instances, c.shard = 3, shard{index: 2, count: 3} })},
		{name: "gate of 100", args: []string{"-min-delivered=100"}, want: with(func(c *config) { c.minDelivered = 100 })},
		{name: "gate above 100", args: []string{"-min-delivered=101"}, wantErr: "-min-delivered 101: want a percentage from 0 to 100"},
		{name: "negative gate", args: []string{"-min-delivered=-1"}, wantErr: "-min-delivered -1"},
		{name: "gate not a number", args: []string{"-min-delivered=most"}, wantErr: `invalid value "most" for flag -min-delivered`},
		{name: "shard index too big", args: []string{"-shard=3/3"}, wantErr: `invalid value "3/3" for flag -shard: want 0 <= i < n, as in 0/3 ... 2/3`},
		{name: "shard of zero", args: []string{"-shard=0/0"}, wantErr: `"0/0" for flag -shard: want 0 <= i < n`},
		{name: "negative shard", args: []string{"-shard=-1/2"}, wantErr: `"-1/2" for flag -shard: want 0 <= i < n`},
		{name: "shard not i/n", args: []string{"-shard=1"}, wantErr: `"1" for flag -shard: want i/n`},
		{name: "shard of words", args: []string{"-shard=a/b"}, wantErr: `"a/b" for flag -shard: want i/n`},
		{name: "empty shard", args: []string{"-instances=2", "-shard=2/3"}, wantErr: "-shard 2/3 of 2 instances is empty"},
		{name: "negative instances", args: []string{"-instances=-5"}, wantErr: "-instances -5: need at least 1"},
		{name: "zero instances", args: []string{"-instances=0"}, wantErr: "-instances 0"},
		{name: "zero services", args: []string{"-services=0"}, wantErr: "-services 0"},
		{name: "zero period", args: []string{"-period=0"}, wantErr: "-period 0s: must be positive"},
		{name: "negative period", args: []string{"-period=-1s"}, wantErr: "-period -1s"},
		{name: "zero duration", args: []string{"-duration=0s"}, wantErr: "-duration 0s"},
		{name: "zero tick", args: []string{"-tick=0s"}, wantErr: "-tick 0s"},
		{name: "negative ramp", args: []string{"-ramp=-1"}, wantErr: "-ramp -1"},
		{name: "negative conns", args: []string{"-conns=-1"}, wantErr: "-conns -1"},
		{name: "negative senders", args: []string{"-senders=-1"}, wantErr: "-senders -1"},
		{name: "unknown mode", args: []string{"-mode=grpc"}, wantErr: `-mode "grpc": want pipeline or hostclient`},
		{name: "server without port", args: []string{"-server=localhost"}, wantErr: `"localhost" is not host:port`},
		{name: "password alone", args: []string{"-password=x"}, wantErr: "-password without -username"},
		{name: "server without nacos", args: []string{"-transport=noop", "-server=h:1"}, wantErr: "need -transport nacos"},
		{name: "unknown scheduler", args: []string{"-scheduler=heap"}, wantErr: `-scheduler "heap": want wheel or russellluo`},
		{name: "unknown transport", args: []string{"-transport=http"}, wantErr: `-transport "http": want nacos or noop or none`},
		{name: "bad duration", args: []string{"-period=soon"}, wantErr: `invalid value "soon" for flag -period`},
		{name: "unknown flag", args: []string{"-transprt=noop"}, wantErr: "flag provided but not defined: -transprt"},
		{name: "stray argument", args: []string{"-instances=5", "extra"}, wantErr: `unexpected argument "extra"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseFlags(tc.args, io.Discard)
			if tc.wantErr != "" {
				require.ErrorIs(t, err, errUsage)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want.scheduler, got.sched.name, "the scheduler looked up")
			assert.Equal(t, tc.want.transport, got.trans.name, "the transport looked up")
			got.sched, got.trans = scheduler{}, transportChoice{} // funcs: not comparable
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestParseServeFlags(t *testing.T) {
	c, err := parseServeFlags([]string{"-addr=127.0.0.1:0", "-beat-interval=1s", "-error-rate=0.1", "-latency=5ms", "-duration=2s"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:0", c.server.Addr)
	assert.Equal(t, time.Second, c.server.ClientBeatInterval)
	assert.Equal(t, 0.1, c.server.Faults.ErrorRate)
	assert.Equal(t, 5*time.Millisecond, c.server.Faults.Latency)
	assert.Equal(t, 2*time.Second, c.duration)
	for _, args := range [][]string{{"-duration=-1s"}, {"-error-rate=x"}, {"-nope"}, {"stray"}} {
		_, err := parseServeFlags(args, io.Discard)
		assert.ErrorIs(t, err, errUsage, "%v", args)
	}
}
