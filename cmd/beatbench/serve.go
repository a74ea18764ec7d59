package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"time"

	"github.com/beatwheel/beatwheel/transport/nacostest"
)

// serveConfig is what beatbench serve does.
type serveConfig struct {
	server   nacostest.Config
	duration time.Duration // 0: until interrupted

	// maxRequestsPerConn is the most requests answered on one connection
	// before the server closes it, as Tomcat's maxKeepAliveRequests; 0:
	// no limit.
	maxRequestsPerConn int
	// idleTimeout closes a connection idle this long, as Tomcat's
	// keepAliveTimeout; 0: never.
	idleTimeout time.Duration

	// restartAfter makes the server forget every instance this long after
	// it starts, as a restarted Nacos would; 0: never.
	restartAfter time.Duration
	// restartEvery repeats the restart this often after the first; 0:
	// once at most.
	restartEvery time.Duration
}

// Tomcat's defaults, which Nacos 1.x (Spring Boot's embedded Tomcat, no
// override in its application.properties) runs with:
// maxKeepAliveRequests 100, and keepAliveTimeout, which defaults to
// connectionTimeout, 60 s.
const (
	tomcatMaxKeepAliveRequests = 100
	tomcatKeepAliveTimeout     = 60 * time.Second
)

// serveUsage is printed by serve -h.
const serveUsage = `Usage: beatbench serve [flags]

Runs the nacostest Nacos v1 naming server standalone, with fault injection,
and prints its counters every second until interrupted. It listens on
127.0.0.1 (this machine only) unless -addr says otherwise: -addr :8848 or
-addr 0.0.0.0:8848 listens on every interface.

Flags:
`

// parseServeFlags parses the serve command line and validates it, naming
// the flag at fault.
func parseServeFlags(args []string, stderr io.Writer) (serveConfig, error) {
	var c serveConfig
	fs := flag.NewFlagSet("beatbench serve", flag.ContinueOnError)
	fs.StringVar(&c.server.Addr, "addr", "127.0.0.1:8848", "listen address (127.0.0.1: this machine only)")
	fs.DurationVar(&c.server.ClientBeatInterval, "beat-interval", 5*time.Second, "clientBeatInterval sent to clients")
	fs.DurationVar(&c.server.UnhealthyAfter, "unhealthy-after", 15*time.Second, "mark an instance unhealthy after this long without a beat")
	fs.DurationVar(&c.server.RemoveAfter, "remove-after", 30*time.Second, "remove an instance after this long without a beat")
	fs.StringVar(&c.server.Username, "username", "", "require login as this user")
	fs.StringVar(&c.server.Password, "password", "", "the user's password")
	fs.DurationVar(&c.server.Faults.Latency, "latency", 0, "fault: added before answering each naming request")
	fs.Float64Var(&c.server.Faults.ErrorRate, "error-rate", 0, "fault: `fraction` of requests answered HTTP 500")
	fs.Float64Var(&c.server.Faults.ResetRate, "reset-rate", 0, "fault: `fraction` of requests whose connection is reset")
	fs.Float64Var(&c.server.Faults.MalformedRate, "malformed-rate", 0, "fault: `fraction` of requests answered with a body that is not JSON")
	fs.IntVar(&c.maxRequestsPerConn, "max-requests-per-conn", tomcatMaxKeepAliveRequests,
		"close a connection after answering this many requests on it, the last with Connection: close, as Tomcat's maxKeepAliveRequests (0: no limit)")
	fs.DurationVar(&c.idleTimeout, "idle-timeout", tomcatKeepAliveTimeout, "close a connection idle this long, as Tomcat's keepAliveTimeout (0: never)")
	fs.DurationVar(&c.restartAfter, "restart-after", 0, "forget every instance after this long, as a restarted Nacos would (0: never)")
	fs.DurationVar(&c.restartEvery, "restart-every", 0, "with -restart-after, forget every instance again this often (0: once)")
	fs.DurationVar(&c.duration, "duration", 0, "stop after this long (0: run until interrupted)")
	if err := parseOnlyFlags(fs, args, stderr, serveUsage); err != nil {
		return c, err
	}
	if err := c.validate(); err != nil {
		return c, fmt.Errorf("%w: %w", errUsage, err)
	}
	return c, nil
}

// validate reports the first bad flag of c by its name; nacostest's own
// checks name Config fields, which a user of serve never saw.
func (c serveConfig) validate() error {
	s := c.server
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{
		{"-beat-interval", s.ClientBeatInterval}, {"-unhealthy-after", s.UnhealthyAfter}, {"-remove-after", s.RemoveAfter},
		{"-latency", s.Faults.Latency}, {"-idle-timeout", c.idleTimeout}, {"-restart-after", c.restartAfter},
		{"-restart-every", c.restartEvery}, {"-duration", c.duration},
	} {
		if d.v < 0 {
			return fmt.Errorf("%s %v: must not be negative", d.flag, d.v)
		}
	}
	for _, r := range []struct {
		flag string
		v    float64
	}{{"-error-rate", s.Faults.ErrorRate}, {"-reset-rate", s.Faults.ResetRate}, {"-malformed-rate", s.Faults.MalformedRate}} {
		if math.IsNaN(r.v) || r.v < 0 || r.v > 1 {
			return fmt.Errorf("%s %v: want a fraction from 0 to 1", r.flag, r.v)
		}
	}
	switch {
	case s.Faults.ErrorRate+s.Faults.ResetRate+s.Faults.MalformedRate > 1+1e-9:
		return errors.New("-error-rate, -reset-rate and -malformed-rate add up to more than 1")
	case s.ClientBeatInterval != 0 && s.ClientBeatInterval < time.Millisecond:
		return fmt.Errorf("-beat-interval %v: below 1ms", s.ClientBeatInterval)
	case s.RemoveAfter < s.UnhealthyAfter:
		return fmt.Errorf("-remove-after %v: shorter than -unhealthy-after %v", s.RemoveAfter, s.UnhealthyAfter)
	case s.Password != "" && s.Username == "":
		return errors.New("-password without -username")
	case c.maxRequestsPerConn < 0:
		return fmt.Errorf("-max-requests-per-conn %d: must not be negative (0: no limit)", c.maxRequestsPerConn)
	case c.restartEvery > 0 && c.restartAfter == 0:
		return errors.New("-restart-every needs -restart-after, the first restart")
	}
	if _, _, err := net.SplitHostPort(s.Addr); err != nil {
		return fmt.Errorf("-addr %q: not host:port", s.Addr)
	}
	return nil
}

// applyConnLimits sets the connection limits of the serve flags
// -max-requests-per-conn (maxReq; 0: no limit) and -idle-timeout (idle;
// 0: never) on cfg, where 0 means nacostest's Tomcat default and a
// negative value means off.
func applyConnLimits(cfg *nacostest.Config, maxReq int, idle time.Duration) {
	cfg.MaxRequestsPerConn, cfg.IdleTimeout = maxReq, idle
	if maxReq == 0 {
		cfg.MaxRequestsPerConn = -1
	}
	if idle == 0 {
		cfg.IdleTimeout = -1
	}
}

// serve runs the server until ctx is done or the duration passes, printing
// its counters every second, and restarting it empty as -restart-after and
// -restart-every say.
func serve(ctx context.Context, c serveConfig, out io.Writer) error {
	var restarts <-chan time.Time
	if c.restartAfter > 0 {
		t := newRestartTimer(c.restartAfter, c.restartEvery)
		defer t.stop()
		restarts = t.c
	}
	return serveWith(ctx, c, out, restarts)
}

// serveWith is serve, restarting the server empty at every receive from
// restarts.
func serveWith(ctx context.Context, c serveConfig, out io.Writer, restarts <-chan time.Time) error {
	applyConnLimits(&c.server, c.maxRequestsPerConn, c.idleTimeout)
	srv, err := nacostest.Start(c.server)
	if errors.Is(err, nacostest.ErrConfig) {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if err != nil {
		return err
	}
	defer srv.Close()
	p := &printer{w: out}
	p.printf("beatbench serve: Nacos v1 naming on %s (beat interval %v, unhealthy after %v, removed after %v; %s)\n",
		srv.Addr(), c.server.ClientBeatInterval, c.server.UnhealthyAfter, c.server.RemoveAfter, c.connLimits())
	p.printf("%8s %10s %9s %9s %8s %8s %9s %9s\n", "time", "instances", "beats/s", "light/s", "reg/s", "20404/s", "healthy", "unhealthy")
	var deadline <-chan time.Time
	if c.duration > 0 {
		deadline = time.After(c.duration)
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	start := time.Now()
	prev, prevAt := srv.Counters(), start
	for {
		select {
		case <-ctx.Done():
			return srv.Close()
		case <-deadline:
			return srv.Close()
		case now := <-restarts:
			n := srv.Len()
			srv.Restart()
			p.printf("%8s restarted: forgot %d instances, as a restarted Nacos would\n", now.Sub(start).Round(100*time.Millisecond), n)
		case now := <-ticker.C:
			cur := srv.Counters()
			s := now.Sub(prevAt).Seconds()
			p.printf("%8s %10d %9.0f %9.0f %8.0f %8.0f %9d %9d\n", now.Sub(start).Round(100*time.Millisecond), srv.Len(),
				float64(cur.Beats-prev.Beats)/s, float64(cur.LightBeats-prev.LightBeats)/s,
				float64(cur.Registrations-prev.Registrations)/s, float64(cur.NotFound-prev.NotFound)/s,
				cur.Healthy, cur.Unhealthy)
			prev, prevAt = cur, now
		}
		if p.err != nil {
			return p.err
		}
	}
}

// connLimits describes the connection limits of c.
func (c serveConfig) connLimits() string {
	req, idle := "no request limit per connection", "no idle timeout"
	if c.maxRequestsPerConn > 0 {
		req = fmt.Sprintf("%d requests per connection", c.maxRequestsPerConn)
	}
	if c.idleTimeout > 0 {
		idle = fmt.Sprintf("idle timeout %v", c.idleTimeout)
	}
	return req + ", " + idle
}

// restartTimer ticks after a first delay, then every period if one is
// set.
type restartTimer struct {
	c    chan time.Time
	done chan struct{}
}

func newRestartTimer(after, every time.Duration) *restartTimer {
	t := &restartTimer{c: make(chan time.Time), done: make(chan struct{})}
	go func() {
		timer := time.NewTimer(after)
		defer timer.Stop()
		for {
			select {
			case now := <-timer.C:
				select {
				case t.c <- now:
				case <-t.done:
					return
				}
				if every <= 0 {
					return
				}
				timer.Reset(every)
			case <-t.done:
				return
			}
		}
	}()
	return t
}

// stop ends the timer's goroutine.
func (t *restartTimer) stop() { close(t.done) }
