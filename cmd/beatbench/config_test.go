package main

import (
	"io"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/beatwheel/beatwheel/reactor"
	tr "github.com/beatwheel/beatwheel/transport"
	"github.com/beatwheel/beatwheel/transport/nacostest"
)

func TestParseFlags(t *testing.T) {
	defaults := config{instances: 100_000, services: 1000, period: 5 * time.Second, duration: defaultDuration,
		tick: reactor.DefaultTick, scheduler: "wheel", transport: "nacos", mode: tr.ModePipeline, shard: noShard, gogc: defaultGOGC}
	with := func(f func(*config)) config {
		c := defaults
		f(&c)
		return c
	}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string // environment variables set; the others beatbench reads are unset
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
		{name: "one instance", args: []string{"-instances=1"}, want: with(func(c *config) { c.instances, c.services = 1, 1 })},
		{name: "services as many as instances", args: []string{"-instances=7", "-services=7"}, want: with(func(c *config) { c.instances, c.services = 7, 7 })},
		{name: "keep", args: []string{"-server=h:1", "-keep"}, want: with(func(c *config) { c.servers, c.keep = []string{"h:1"}, true })},
		{name: "job shard", args: []string{"-shard=job/4"}, env: map[string]string{"JOB_COMPLETION_INDEX": "3"},
			want: with(func(c *config) { c.shard = shard{index: 3, count: 4} })},
		{name: "env credentials", args: nil, env: map[string]string{"NACOS_USERNAME": "u", "NACOS_PASSWORD": "p"},
			want: with(func(c *config) { c.username, c.password = "u", "p" })},
		{name: "flags win over env", args: []string{"-username=a", "-password=b"}, env: map[string]string{"NACOS_USERNAME": "u", "NACOS_PASSWORD": "p"},
			want: with(func(c *config) { c.username, c.password = "a", "b" })},
		{name: "env password for the flag user", args: []string{"-username=a"}, env: map[string]string{"NACOS_USERNAME": "u", "NACOS_PASSWORD": "p"},
			want: with(func(c *config) { c.username, c.password = "a", "p" })},
		{name: "env user, flag password", args: []string{"-password=b"}, env: map[string]string{"NACOS_USERNAME": "u", "NACOS_PASSWORD": "p"},
			want: with(func(c *config) { c.username, c.password = "u", "b" })},
		{name: "env password alone", args: nil, env: map[string]string{"NACOS_PASSWORD": "p"}, want: defaults},
		{name: "shortest judged window", args: []string{"-min-delivered=99", "-period=1s", "-duration=3s"},
			want: with(func(c *config) { c.minDelivered, c.period, c.duration = 99, time.Second, 3*time.Second })},
		{name: "tick as long as period", args: []string{"-tick=1s", "-period=1s"}, want: with(func(c *config) { c.tick, c.period = time.Second, time.Second })},
		{name: "report flags", args: []string{"-json=out.json", "-min-delivered=99.5", "-shard=2/3"},
			want: with(func(c *config) { c.json, c.minDelivered, c.shard = "out.json", 99.5, shard{index: 2, count: 3} })},
		{name: "last shard of few", args: []string{"-instances=3", "-shard", " 2 / 3 "},
			want: with(func(c *config) { c.instances, c.services, c.shard = 3, 3, shard{index: 2, count: 3} })},
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
		{name: "gogc", args: []string{"-gogc=100"}, want: with(func(c *config) { c.gogc = 100 })},
		{name: "zero gogc", args: []string{"-gogc=0"}, wantErr: "-gogc 0"},
		{name: "unknown mode", args: []string{"-mode=grpc"}, wantErr: `-mode "grpc": want pipeline or hostclient`},
		{name: "server without port", args: []string{"-server=localhost"}, wantErr: `"localhost" is not host:port`},
		{name: "password alone", args: []string{"-password=x"}, wantErr: "-password without -username"},
		{name: "server without nacos", args: []string{"-transport=noop", "-server=h:1"}, wantErr: "need -transport nacos"},
		{name: "unknown scheduler", args: []string{"-scheduler=heap"}, wantErr: `-scheduler "heap": want wheel or russellluo`},
		{name: "unknown transport", args: []string{"-transport=http"}, wantErr: `-transport "http": want nacos or noop or none`},
		{name: "bad duration", args: []string{"-period=soon"}, wantErr: `invalid value "soon" for flag -period`},
		{name: "unknown flag", args: []string{"-transprt=noop"}, wantErr: "flag provided but not defined: -transprt"},
		{name: "stray argument", args: []string{"-instances=5", "extra"}, wantErr: `unexpected argument "extra"`},
		{name: "tick longer than period", args: []string{"-tick=2s", "-period=1s"}, wantErr: "-tick 2s: longer than -period 1s"},
		{name: "period too short", args: []string{"-period=5ms"}, wantErr: "-period 5ms: outside the reactor's range [10ms, 1m0s]"},
		{name: "period too long", args: []string{"-period=2m"}, wantErr: "-period 2m0s: outside the reactor's range"},
		{name: "tick below the wheel's", args: []string{"-tick=50us"}, wantErr: "-tick 50µs: below the wheel's minimum of 100µs"},
		{name: "tick not whole ms", args: []string{"-scheduler=russellluo", "-tick=1500us"}, wantErr: "-tick 1.5ms: russellluo wants a whole number of milliseconds"},
		{name: "port too big", args: []string{"-server=h:70000"}, wantErr: `invalid value "h:70000" for flag -server: "h:70000": port 70000 is not from 1 to 65535`},
		{name: "port zero", args: []string{"-server=h:0"}, wantErr: "port 0 is not from 1 to 65535"},
		{name: "port not a number", args: []string{"-server=h:http"}, wantErr: "port http is not from 1 to 65535"},
		{name: "more services than instances", args: []string{"-instances=10", "-services=11"}, wantErr: "-services 11: more than the 10 -instances"},
		{name: "window too short to judge", args: []string{"-min-delivered=99", "-period=1s", "-duration=2999ms"},
			wantErr: "-min-delivered with -duration 2.999s: the steady window would be shorter than 2 periods of 1s; want -duration of at least 3s"},
		{name: "keep without server", args: []string{"-keep"}, wantErr: "-keep needs -server"},
		{name: "job shard without index", args: []string{"-shard=job/4"}, wantErr: `invalid value "job/4" for flag -shard: job/n takes the shard index from $JOB_COMPLETION_INDEX, which is not set`},
		{name: "job shard out of range", args: []string{"-shard=job/4"}, env: map[string]string{"JOB_COMPLETION_INDEX": "4"},
			wantErr: `$JOB_COMPLETION_INDEX="4": want 0 <= i < n`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{"NACOS_USERNAME", "NACOS_PASSWORD", "JOB_COMPLETION_INDEX"} {
				t.Setenv(k, tc.env[k])
				if _, ok := tc.env[k]; !ok {
					require.NoError(t, os.Unsetenv(k))
				}
			}
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
	def, err := parseServeFlags(nil, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:8848", def.server.Addr, "this machine only unless told otherwise")
	assert.Equal(t, 100, def.maxRequestsPerConn, "Tomcat's maxKeepAliveRequests")
	assert.Equal(t, 60*time.Second, def.idleTimeout, "Tomcat's keepAliveTimeout")
	assert.Zero(t, def.restartAfter)

	c, err := parseServeFlags([]string{"-addr=127.0.0.1:0", "-beat-interval=1s", "-error-rate=0.1", "-latency=5ms", "-duration=2s",
		"-max-requests-per-conn=0", "-idle-timeout=0", "-restart-after=1m", "-restart-every=30s"}, io.Discard)
	require.NoError(t, err)
	assert.Zero(t, c.maxRequestsPerConn)
	assert.Zero(t, c.idleTimeout)
	assert.Equal(t, time.Minute, c.restartAfter)
	assert.Equal(t, 30*time.Second, c.restartEvery)
	assert.Equal(t, "no request limit per connection, no idle timeout", c.connLimits())
	assert.Equal(t, "100 requests per connection, idle timeout 1m0s", def.connLimits())
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

func TestApplyConnLimits(t *testing.T) {
	for _, tc := range []struct {
		name     string
		maxReq   int
		idle     time.Duration
		wantReq  int
		wantIdle time.Duration
	}{
		{"Tomcat's defaults", 100, time.Minute, 100, time.Minute},
		{"0 turns both off", 0, 0, -1, -1},
		{"a limit without an idle timeout", 7, 0, 7, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var cfg nacostest.Config
			applyConnLimits(&cfg, tc.maxReq, tc.idle)
			assert.Equal(t, tc.wantReq, cfg.MaxRequestsPerConn)
			assert.Equal(t, tc.wantIdle, cfg.IdleTimeout)
		})
	}
}
