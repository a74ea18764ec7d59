package transport

import (
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fastjson"

	"github.com/beatwheel/beatwheel/reactor"
)

// fakeClock is a Client's clock that moves only when a test says.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Unix(1_700_000_000, 0)} }

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeClock) Add(d time.Duration) {
	f.mu.Lock()
	f.t = f.t.Add(d)
	f.mu.Unlock()
}

// newClockedClient is newClient on clk's time.
func newClockedClient(t *testing.T, cfg Config, clk *fakeClock) *Client {
	c := newClient(t, cfg)
	c.now, c.epoch = clk.Now, clk.Now()
	return c
}

// waitLogin waits for the client's login in progress, if any, to end.
func waitLogin(c *Client) {
	c.auth.mu.Lock()
	run := c.auth.run
	c.auth.mu.Unlock()
	if run != nil {
		<-run.done
	}
}

// authServer is a Nacos server whose logins a test steers. Tokens are
// tok-SECRET-<n>, n counting the logins granted.
type authServer struct {
	*testServer
	attempts  atomic.Int32 // login requests received
	granted   atomic.Int32
	refuse    atomic.Bool  // answer logins 403
	ttl       atomic.Value // tokenTtl as JSON text; default "1"
	gate      atomic.Pointer[chan struct{}]
	entered   chan struct{} // a login request reached the gate
	lastToken atomic.Value  // accessToken of the last other request
}

func newAuthServer(t *testing.T) *authServer {
	s := &authServer{entered: make(chan struct{}, 64)}
	s.ttl.Store("1")
	s.lastToken.Store("")
	s.testServer = newTestServer(t, func(ctx *fasthttp.RequestCtx) {
		if !strings.HasSuffix(string(ctx.Path()), "/login") {
			s.lastToken.Store(string(ctx.QueryArgs().Peek("accessToken")))
			nacosHandler(ctx)
			return
		}
		s.attempts.Add(1)
		if g := s.gate.Load(); g != nil {
			s.entered <- struct{}{}
			<-*g
		}
		if s.refuse.Load() || string(ctx.PostArgs().Peek("password")) != "s3cret-PW" {
			ctx.SetStatusCode(403)
			ctx.SetBodyString("unknown user!")
			return
		}
		n := s.granted.Add(1)
		ctx.SetBodyString(`{"accessToken":"tok-SECRET-` + strconv.Itoa(int(n)) + `","tokenTtl":` + s.ttl.Load().(string) + `}`)
	})
	return s
}

// hold makes logins wait until the returned func is called (at the latest
// when the test ends).
func (s *authServer) hold(t *testing.T) (release func()) {
	g := make(chan struct{})
	s.gate.Store(&g)
	var once sync.Once
	release = func() { once.Do(func() { s.gate.Store(nil); close(g) }) }
	t.Cleanup(release)
	return release
}

func (s *authServer) config(mode Mode, logs *logCapture) Config {
	cfg := Config{Servers: []string{s.addr}, Mode: mode, Username: "nacos", Password: "s3cret-PW"}
	if logs != nil {
		cfg.Logger = logs.logger()
	}
	return cfg
}

// sendOK sends n beats and requires every one to succeed.
func sendOK(t *testing.T, c *Client, n int) {
	t.Helper()
	res := make([]reactor.BeatResult, n)
	c.SendBeats(bg(), testBeats(n), res)
	for i := range res {
		require.NoError(t, res[i].Err, i)
	}
}

func TestAuth(t *testing.T) {
	s := newAuthServer(t)
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			s.attempts.Store(0)
			s.granted.Store(0)
			var logs logCapture
			clk := newFakeClock()
			c := newClockedClient(t, s.config(mode, &logs), clk)
			sendOK(t, c, 1)
			assert.Equal(t, "tok-SECRET-1", s.lastToken.Load())
			// Past TTL minus a tenth: the token is still valid, so the call
			// uses it while a refresh starts.
			clk.Add(950 * time.Millisecond)
			require.NoError(t, c.Register(bg(), testInfo(0)))
			assert.Equal(t, "tok-SECRET-1", s.lastToken.Load())
			waitLogin(c)
			require.NoError(t, c.Register(bg(), testInfo(0)))
			assert.Equal(t, "tok-SECRET-2", s.lastToken.Load())
			assert.EqualValues(t, 2, s.attempts.Load())
			assert.EqualValues(t, 2, c.stats.logins.Load())

			cfg := s.config(mode, &logs)
			cfg.Password = "wrong-PW"
			bad := newClockedClient(t, cfg, clk)
			res := make([]reactor.BeatResult, 1)
			bad.SendBeats(bg(), testBeats(1), res)
			assert.ErrorIs(t, res[0].Err, ErrAuth)
			err := bad.Register(bg(), testInfo(0))
			assert.ErrorIs(t, err, ErrAuth)
			assert.ErrorIs(t, err, ErrAuthBackoff)
			assert.EqualValues(t, 1, bad.stats.loginFailures.Load())
			for _, s := range []string{err.Error(), res[0].Err.Error(), logs.String()} {
				assert.NotContains(t, s, "PW")
				assert.NotContains(t, s, "SECRET")
			}
			assert.Contains(t, logs.String(), "login failed")
		})
	}
}

// TestRefreshDoesNotBlockSends: while the refresh login hangs at the
// server, sends keep going with the still-valid token, and only one login
// runs. Without a valid token, concurrent sends share one login.
func TestRefreshDoesNotBlockSends(t *testing.T) {
	s := newAuthServer(t)
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			s.attempts.Store(0)
			s.granted.Store(0)
			clk := newFakeClock()
			c := newClockedClient(t, s.config(mode, nil), clk)

			// No token yet: every sender waits for the one login.
			release := s.hold(t)
			var wg sync.WaitGroup
			for range 8 {
				wg.Add(1)
				go func() { defer wg.Done(); sendOK(t, c, 20) }()
			}
			<-s.entered
			release()
			wg.Wait()
			assert.EqualValues(t, 1, s.attempts.Load(), "the senders shared one login")

			// A valid token, due for refresh; the refresh hangs.
			clk.Add(950 * time.Millisecond)
			release = s.hold(t)
			done := make(chan struct{})
			go func() {
				defer close(done)
				var wg sync.WaitGroup
				for range 8 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for range 5 {
							sendOK(t, c, 50)
						}
					}()
				}
				wg.Wait()
			}()
			select {
			case <-done:
			case <-time.After(time.Minute): // far beyond the sends' own time: they wait for the login
				release()
				<-done
				t.Fatal("sends waited for the refresh login")
			}
			<-s.entered
			assert.EqualValues(t, 2, s.attempts.Load(), "one refresh login for all the sends")
			assert.Equal(t, "tok-SECRET-1", s.lastToken.Load())
			release()
			waitLogin(c)
			sendOK(t, c, 1)
			assert.Equal(t, "tok-SECRET-2", s.lastToken.Load())
			assert.EqualValues(t, 2, s.attempts.Load())
		})
	}
}

// TestLoginBackoff counts the logins over many sends after failed ones,
// first without a token, then with a valid one whose refresh fails.
func TestLoginBackoff(t *testing.T) {
	s := newAuthServer(t)
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			s.attempts.Store(0)
			s.refuse.Store(true)
			s.ttl.Store("100")
			t.Cleanup(func() { s.refuse.Store(false); s.ttl.Store("1") })
			clk := newFakeClock()
			c := newClockedClient(t, s.config(mode, nil), clk)
			res := make([]reactor.BeatResult, 4)
			send := func() error {
				c.SendBeats(bg(), testBeats(4), res)
				return res[0].Err
			}

			// No token: the first send waits for a login, the next ones fail
			// fast until the backoff (1 s, 2 s, 4 s, …) is over.
			err := send()
			require.ErrorIs(t, err, ErrAuth)
			assert.NotErrorIs(t, err, ErrAuthBackoff)
			for range 20 {
				err = send()
				require.ErrorIs(t, err, ErrAuthBackoff)
				require.ErrorIs(t, err, ErrAuth, "the backoff error holds the login's")
			}
			assert.EqualValues(t, 1, s.attempts.Load())
			for k, want := range []int32{2, 2, 3, 3, 3, 3, 4} { // one step of MinLoginBackoff each
				clk.Add(MinLoginBackoff)
				for range 5 {
					_ = send()
				}
				assert.EqualValues(t, want, s.attempts.Load(), "after %d steps", k+1)
			}

			// A valid token (TTL 100 s) whose refresh fails: sends go on
			// with it, and the refreshes back off too.
			s.refuse.Store(false)
			clk.Add(MaxLoginBackoff)
			require.NoError(t, send())
			assert.EqualValues(t, 5, s.attempts.Load())
			s.refuse.Store(true)
			clk.Add(91 * time.Second) // past 100 s minus a tenth
			// Then 1 s, 2 s, … later: each failure doubles the wait.
			for k, want := range []int32{6, 7, 7, 8, 8, 8} {
				for range 5 {
					require.NoError(t, send())
					waitLogin(c)
				}
				assert.EqualValues(t, want, s.attempts.Load(), "step %d", k)
				clk.Add(MinLoginBackoff)
			}
			assert.EqualValues(t, 1, c.stats.logins.Load())
			assert.EqualValues(t, 7, c.stats.loginFailures.Load())
		})
	}
}

func TestLoginBackoffSteps(t *testing.T) {
	for failures, want := range map[int]time.Duration{
		1: MinLoginBackoff, 2: 2 * MinLoginBackoff, 3: 4 * MinLoginBackoff, 5: 16 * MinLoginBackoff,
		6: MaxLoginBackoff, 7: MaxLoginBackoff, 1000: MaxLoginBackoff, math.MaxInt: MaxLoginBackoff,
	} {
		assert.Equal(t, want, loginBackoff(failures), failures)
	}
}

// TestHugeTokenTTL: a tokenTtl too large for time.Duration means one login,
// not one per batch.
func TestHugeTokenTTL(t *testing.T) {
	s := newAuthServer(t)
	for _, ttl := range []string{"10000000000", "9223372036854775807", "1e30"} {
		t.Run(ttl, func(t *testing.T) {
			s.attempts.Store(0)
			s.ttl.Store(ttl)
			t.Cleanup(func() { s.ttl.Store("1") })
			clk := newFakeClock()
			start := clk.Now()
			c := newClockedClient(t, s.config(ModePipeline, nil), clk)
			for range 5 {
				sendOK(t, c, 4)
			}
			clk.Add(1000 * time.Hour)
			sendOK(t, c, 4)
			assert.EqualValues(t, 1, s.attempts.Load())
			assert.Equal(t, start.Add(MaxTokenTTL), c.auth.tok.Load().expireAt)
		})
	}
}

func TestParseLogin(t *testing.T) {
	for _, tt := range []struct {
		body string
		ttl  time.Duration // 0: an error
	}{
		{`{"accessToken":"t","tokenTtl":18000}`, 5 * time.Hour},
		{`{"accessToken":"t","tokenTtl":1.5}`, 1500 * time.Millisecond},
		{`{"accessToken":"t","tokenTtl":1e300}`, MaxTokenTTL},
		{`{"accessToken":"t","tokenTtl":0.5}`, 0},
		{`{"accessToken":"t","tokenTtl":0}`, 0},
		{`{"accessToken":"t","tokenTtl":-5}`, 0},
		{`{"accessToken":"t","tokenTtl":"18000"}`, 0},
		{`{"accessToken":"t"}`, 0},
		{`{"tokenTtl":18000}`, 0},
		{`not json`, 0},
	} {
		var pp fastjson.ParserPool
		res, err := parseLogin(&pp, []byte(tt.body))
		if tt.ttl == 0 {
			assert.Error(t, err, tt.body)
			continue
		}
		require.NoError(t, err, tt.body)
		assert.Equal(t, loginResult{token: "t", ttl: tt.ttl}, res, tt.body)
	}
}

// TestCloseDuringLogin: Close ends a login that hangs at the server, and
// the send waiting for it fails with ErrClosed.
func TestCloseDuringLogin(t *testing.T) {
	s := newAuthServer(t)
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			s.hold(t)
			cfg := s.config(mode, nil)
			cfg.ReadTimeout = 30 * time.Second
			clk := newFakeClock()
			c := newClockedClient(t, cfg, clk)
			s.attempts.Store(0)
			res := make([]reactor.BeatResult, 3)
			done := make(chan struct{})
			go func() { defer close(done); c.SendBeats(bg(), testBeats(3), res) }()
			<-s.entered
			require.NoError(t, c.Close())
			<-done
			for i := range res {
				assert.ErrorIs(t, res[i].Err, ErrClosed, i)
			}
			assert.Zero(t, c.stats.loginFailures.Load(), "a login Close ended is no failure")
			clk.Add(MaxLoginBackoff)
			_, err := c.token(bg())
			assert.ErrorIs(t, err, ErrClosed)
			assert.EqualValues(t, 1, s.attempts.Load(), "no login after Close")
		})
	}
}
