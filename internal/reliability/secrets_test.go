package reliability

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/beatwheel/beatwheel/internal/testcert"
	"github.com/beatwheel/beatwheel/reactor"
	"github.com/beatwheel/beatwheel/transport"
	"github.com/beatwheel/beatwheel/transport/nacostest"
)

// capture is a slog.Handler at Debug level that keeps the text of every
// record: its message and every attribute, groups and LogValuers resolved
// recursively, with the attributes and groups of WithAttrs and WithGroup.
type capture struct {
	store  *captured
	attrs  []slog.Attr
	groups string
}

type captured struct {
	mu    sync.Mutex
	texts []string
}

func newCapture() *capture { return &capture{store: &captured{}} }

func (c *capture) logger() *slog.Logger { return slog.New(c) }

func (c *capture) Enabled(context.Context, slog.Level) bool { return true }

func (c *capture) Handle(_ context.Context, r slog.Record) error {
	var sb strings.Builder
	sb.WriteString(r.Level.String() + " " + c.groups + r.Message)
	for _, a := range c.attrs {
		flatten(&sb, a)
	}
	r.Attrs(func(a slog.Attr) bool { flatten(&sb, a); return true })
	c.store.mu.Lock()
	c.store.texts = append(c.store.texts, sb.String())
	c.store.mu.Unlock()
	return nil
}

func flatten(sb *strings.Builder, a slog.Attr) {
	v := a.Value.Resolve()
	sb.WriteString(" " + a.Key + "=")
	switch v.Kind() {
	case slog.KindGroup:
		for _, g := range v.Group() {
			flatten(sb, g)
		}
	case slog.KindAny:
		x := v.Any()
		if err, ok := x.(error); ok {
			sb.WriteString(err.Error() + " ")
		}
		fmt.Fprintf(sb, "%+v %#v", x, x)
	default:
		sb.WriteString(v.String())
	}
}

func (c *capture) WithAttrs(as []slog.Attr) slog.Handler {
	return &capture{store: c.store, attrs: append(append([]slog.Attr(nil), c.attrs...), as...), groups: c.groups}
}

func (c *capture) WithGroup(name string) slog.Handler {
	return &capture{store: c.store, attrs: c.attrs, groups: c.groups + name + "."}
}

func (c *capture) all() []string {
	c.store.mu.Lock()
	defer c.store.mu.Unlock()
	return append([]string(nil), c.store.texts...)
}

// nacostest's tokens are "nacostest." and 48 hex digits.
var tokenRE = regexp.MustCompile(`nacostest\.[0-9a-f]{8,}`)

// TestSecretsNeverLeak runs two Reactors with Nacos auth against nacostest,
// one with the right password and one with a wrong one, through 5xx
// answers, resets and token refreshes, with every log at Debug captured on
// the Reactors, the transports and the server. Neither password nor any
// access token may appear in a log record, an error, or Stats printed with
// %+v.
func TestSecretsNeverLeak(t *testing.T) {
	const (
		user     = "nacos"
		password = "pw-S3CRET-right"
		wrong    = "pw-S3CRET-wrong"
		period   = 100 * time.Millisecond
		n        = 200
	)
	logs := newCapture()
	srv, err := nacostest.Start(nacostest.Config{Username: user, Password: password, TokenTTL: time.Second,
		ClientBeatInterval: period, Logger: logs.logger()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })

	var stacks []*stack
	for _, pw := range []string{password, wrong} {
		for _, mode := range []transport.Mode{transport.ModePipeline, transport.ModeHostClient} {
			st := &stack{t: t, srv: srv}
			st.start(transport.Config{Servers: []string{srv.Addr()}, Mode: mode,
				Username: user, Password: pw, ReadTimeout: time.Second, Logger: logs.logger()},
				reactor.Config{MinInterval: period, Logger: logs.logger()})
			st.dec.keepErrs = true
			st.add(n, period)
			stacks = append(stacks, st)
		}
	}
	time.Sleep(5 * period)
	// A restart makes the Reactors register again, with the token.
	srv.Restart()
	time.Sleep(5 * period)
	for _, f := range []nacostest.Faults{{ErrorRate: 0.5}, {ResetRate: 0.2}, {MalformedRate: 0.5}} {
		require.NoError(t, srv.SetFaults(f))
		time.Sleep(5 * period)
	}
	require.NoError(t, srv.SetFaults(nacostest.Faults{}))
	time.Sleep(12 * period) // past the 1 s TTL: the good clients log in again

	var texts []string
	for _, st := range stacks {
		st.close()
		s := st.r.Stats()
		texts = append(texts, fmt.Sprintf("%+v", s), fmt.Sprintf("%#v", s))
		st.dec.mu.Lock()
		texts = append(texts, st.dec.errTexts...)
		st.dec.mu.Unlock()
		// Register and Deregister errors, with a closed client and the
		// wrong password.
		if err := st.client.Register(context.Background(), st.infos[0]); err != nil {
			texts = append(texts, err.Error(), fmt.Sprintf("%+v", err))
		}
	}
	records := logs.all()
	texts = append(texts, records...)

	c := srv.Counters()
	t.Logf("%d log records, %d texts; server %+v", len(records), len(texts), c)
	require.Greater(t, c.Logins, uint64(2), "the good clients logged in, and again after the TTL")
	require.Positive(t, c.AuthFailures, "the wrong password was refused")
	require.Positive(t, c.Errors+c.Resets+c.Malformed, "faults were injected")
	joined := strings.Join(texts, "\n")
	require.Contains(t, joined, "login failed", "the failures were logged")
	require.Contains(t, joined, "beat failed")
	for _, s := range texts {
		if strings.Contains(s, "S3CRET") || tokenRE.MatchString(s) {
			t.Errorf("a secret leaked: %.300q", s)
		}
	}
}

// TestTLSEndToEnd: the Reactor keeps instances alive over HTTPS, in both
// transport modes, against nacostest with a self-signed certificate.
func TestTLSEndToEnd(t *testing.T) {
	cert, pool := testcert.SelfSigned(t)
	// Unhealthy after 40 periods, not Nacos' 3: a busy machine may hold a
	// TLS handshake or a beat for longer than a few short periods, and
	// this test is about TLS, not timing.
	const n, period = 200, 250 * time.Millisecond
	for _, mode := range []transport.Mode{transport.ModePipeline, transport.ModeHostClient} {
		t.Run(mode.String(), func(t *testing.T) {
			st := newStack(t,
				nacostest.Config{TLS: &tls.Config{Certificates: []tls.Certificate{cert}}, ClientBeatInterval: period,
					UnhealthyAfter: 40 * period, RemoveAfter: 80 * period, CheckInterval: period / 4},
				transport.Config{Mode: mode, TLS: &tls.Config{RootCAs: pool}},
				reactor.Config{MinInterval: period})
			st.add(n, period)
			_, ok := st.waitHealthy(30 * time.Second)
			require.True(t, ok, "%+v", st.srv.Counters())
			time.Sleep(3 * period) // light beats, over TLS
			require.True(t, st.allHealthy())
			st.checkEach()
			running := st.r.Stats()
			st.close() // cancels the beats in flight: they fail
			s := st.checkCounts()
			assert.Zero(t, running.Failed.Timeout+running.Failed.Transport, "%+v", running.Failed)
			assert.Greater(t, s.Light, uint64(n), "light beats flowed")
		})
	}
}
