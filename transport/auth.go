package transport

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fastjson"
)

// How the client keeps a Nacos access token.
//
// Like the Java client's SecurityProxy, the client logs in again once a
// tenth of the token's TTL is left. That refresh runs in one background
// goroutine while every send keeps using the token it has, which is still
// valid: no beat waits for a login while a valid token exists. Only a send
// that finds no valid token (the first one, or after the token expired)
// waits, and then for the one login in progress, never for a round of its
// own.
//
// After a failed login the client waits before the next one, from
// MinLoginBackoff doubling to MaxLoginBackoff, whether or not it still
// has a valid token. While it waits, a send with no valid token fails at
// once with an error wrapping ErrAuthBackoff and the last login's error.

// Login backoff and token lifetime bounds.
const (
	// MinLoginBackoff is the wait after a first failed login; it doubles
	// with each further failure, up to MaxLoginBackoff.
	MinLoginBackoff = time.Second
	// MaxLoginBackoff caps the wait between failed logins.
	MaxLoginBackoff = 30 * time.Second
	// MaxTokenTTL caps the tokenTtl a server grants, so that a huge one
	// (which would overflow time.Duration) still means "refresh in a long
	// while" rather than "refresh before every batch".
	MaxTokenTTL = 365 * 24 * time.Hour
)

// auth is the Client's token state.
type auth struct {
	tok atomic.Pointer[tokenInfo] // nil until the first login succeeds

	mu       sync.Mutex
	run      *loginRun // the login in progress, or nil
	failures int       // failed logins in a row
	retryAt  time.Time // no login before this, after a failure
	lastErr  error     // the last failed login's error
	closed   bool      // set by Close: no more logins
}

// tokenInfo is a token and when to refresh it. It is never changed once
// stored: a new one replaces it.
type tokenInfo struct {
	token     string
	refreshAt time.Time // log in again from here on (or after the backoff)
	expireAt  time.Time // unusable from here on
}

// loginRun is one login in progress. token and err are set before done
// is closed.
type loginRun struct {
	done  chan struct{}
	token string
	err   error
}

// token returns the access token to send ("" without a Username). With a
// valid token it returns at once, starting a background refresh when one
// is due; without one it waits for a login (ctx bounds the wait), or fails
// fast with ErrAuthBackoff while backing off after a failed one.
func (c *Client) token(ctx context.Context) (string, error) {
	if c.cfg.Username == "" {
		return "", nil
	}
	now := c.now()
	t := c.auth.tok.Load()
	if t != nil && now.Before(t.expireAt) {
		if !now.Before(t.refreshAt) {
			c.refreshToken(now)
		}
		return t.token, nil
	}
	return c.awaitLogin(ctx, now)
}

// refreshToken starts a background login unless one runs already or the
// client backs off.
func (c *Client) refreshToken(now time.Time) {
	a := &c.auth
	a.mu.Lock()
	if a.run == nil && !now.Before(a.retryAt) {
		c.startLogin()
	}
	a.mu.Unlock()
}

// awaitLogin waits for the login in progress, starting one if none runs
// and the client is not backing off.
func (c *Client) awaitLogin(ctx context.Context, now time.Time) (string, error) {
	a := &c.auth
	a.mu.Lock()
	if t := a.tok.Load(); t != nil && now.Before(t.expireAt) {
		a.mu.Unlock() // another caller's login just ended
		return t.token, nil
	}
	run := a.run
	if run == nil {
		if now.Before(a.retryAt) {
			err := fmt.Errorf("%w: next attempt in %v: %w", ErrAuthBackoff, a.retryAt.Sub(now), a.lastErr)
			a.mu.Unlock()
			return "", err
		}
		run = c.startLogin()
	}
	a.mu.Unlock()
	select {
	case <-run.done:
		return run.token, run.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// startLogin starts a login in its own goroutine, which Close cancels and
// waits for. c.auth.mu is held.
func (c *Client) startLogin() *loginRun {
	run := &loginRun{done: make(chan struct{})}
	if c.auth.closed { // Close may be waiting for the goroutines already
		run.err = ErrClosed
		close(run.done)
		return run
	}
	c.auth.run = run
	c.wg.Add(1)
	go c.runLogin(run)
	return run
}

// runLogin logs in, stores the outcome and ends run. It counts and logs
// the outcome outside the lock (sends due for refresh take it) and before
// ending run (so a caller that waited for run sees it counted).
func (c *Client) runLogin(run *loginRun) {
	defer c.wg.Done()
	start := c.now() // the token's life counts from before the request
	res, err := c.login(c.ctx)
	a := &c.auth
	a.mu.Lock()
	valid := false // after a failure: a token is still usable meanwhile
	if err == nil {
		ttl := res.ttl
		a.tok.Store(&tokenInfo{token: res.token, refreshAt: start.Add(ttl - ttl/10), expireAt: start.Add(ttl)})
		a.failures, a.retryAt, a.lastErr = 0, time.Time{}, nil
		run.token = res.token
	} else {
		a.failures++
		now := c.now()
		a.retryAt = now.Add(loginBackoff(a.failures))
		a.lastErr = err
		if t := a.tok.Load(); t != nil && now.Before(t.expireAt) {
			// Keep the token; the next refresh comes after the backoff,
			// and until then sends need not take the lock.
			t2 := *t
			t2.refreshAt = a.retryAt
			a.tok.Store(&t2)
			valid = true
		}
		run.err = err
	}
	a.run = nil
	a.mu.Unlock()
	switch {
	case err == nil:
		c.loggedIn(res.ttl)
	case !errors.Is(err, ErrClosed):
		c.loginFailed(err, valid)
	}
	close(run.done)
}

// loginBackoff is the wait after the given number of failed logins in a
// row: MinLoginBackoff doubling, at most MaxLoginBackoff.
func loginBackoff(failures int) time.Duration {
	d := MinLoginBackoff
	for i := 1; i < failures && d < MaxLoginBackoff; i++ {
		d *= 2
	}
	return min(d, MaxLoginBackoff)
}

// loggedIn records a successful login: the one place that does.
func (c *Client) loggedIn(ttl time.Duration) {
	c.stats.logins.Add(1)
	c.cfg.Logger.Info("nacos login", "username", c.cfg.Username, "ttl", ttl)
}

// loginFailed records a failed login (err holds neither password nor
// token): the one place that does. valid says whether the client still has
// a token it can use meanwhile.
func (c *Client) loginFailed(err error, valid bool) {
	c.stats.loginFailures.Add(1)
	if valid {
		c.cfg.Logger.Warn("nacos token refresh: login failed; using the current token until it expires", "error", err)
		return
	}
	c.cfg.Logger.Error("nacos login failed", "error", err)
}

// login runs SecurityProxy.login: each server in turn, from the current
// one, until one accepts. Errors wrap ErrAuth and hold neither password
// nor token.
func (c *Client) login(ctx context.Context) (loginResult, error) {
	e, req, resp := c.acquire()
	defer c.release(e, req, resp)
	first := int(c.cur.Load())
	var last error
	for k := range c.hcs {
		srv := (first + k) % len(c.hcs)
		req.Reset()
		e.uri = append(e.uri[:0], c.prefix[srv]...)
		e.uri = append(e.uri, loginPath+"?username="...)
		e.uri = appendFormEscape(e.uri, c.cfg.Username)
		req.SetRequestURIBytes(e.uri)
		req.Header.SetMethod(fasthttp.MethodPost)
		req.Header.SetContentTypeBytes(valForm)
		e.body = append(e.body[:0], "password="...)
		e.body = appendFormEscape(e.body, c.cfg.Password)
		req.SetBodyRaw(e.body)
		err := c.do(ctx, srv, req, resp)
		clear(e.body) // the password does not stay in a pooled buffer
		switch {
		case err != nil:
			last = &authError{server: c.cfg.Servers[srv], err: c.exchangeError("login", srv, err)}
		case resp.StatusCode() != fasthttp.StatusOK:
			last = &authError{server: c.cfg.Servers[srv], status: resp.StatusCode()}
		default:
			res, err := parseLogin(&c.parsers, resp.Body())
			if err != nil {
				last = &authError{server: c.cfg.Servers[srv], err: err}
				continue
			}
			return res, nil
		}
		if ctx.Err() != nil {
			break
		}
	}
	return loginResult{}, last
}

// authError is a failed login. It never holds the answer's body, which
// may carry a token.
type authError struct {
	server string
	status int
	err    error
}

func (e *authError) Error() string {
	s := ErrAuth.Error() + " at " + e.server
	if e.status != 0 {
		s += ": HTTP " + strconv.Itoa(e.status)
	}
	if e.err != nil {
		s += ": " + e.err.Error()
	}
	return s
}

func (e *authError) Unwrap() []error {
	if e.err == nil {
		return []error{ErrAuth}
	}
	return []error{ErrAuth, e.err}
}

// loginResult is the part of a login answer the client keeps.
type loginResult struct {
	token string
	ttl   time.Duration // at most MaxTokenTTL
}

// parseLogin reads {"accessToken":"...","tokenTtl":18000,...}. Its errors
// never hold the body: it carries the token.
func parseLogin(parsers *fastjson.ParserPool, body []byte) (loginResult, error) {
	p := parsers.Get()
	defer parsers.Put(p)
	v, err := p.ParseBytes(body)
	if err != nil {
		return loginResult{}, errors.New("login answer is not JSON")
	}
	tok := v.GetStringBytes("accessToken")
	if len(tok) == 0 {
		return loginResult{}, errors.New("login answer has no accessToken")
	}
	// As a float, so that no tokenTtl, however large, overflows.
	secs := v.GetFloat64("tokenTtl")
	if !(secs >= 1) {
		return loginResult{}, errors.New("login answer has no tokenTtl of a second or more")
	}
	ttl := MaxTokenTTL
	if secs < MaxTokenTTL.Seconds() {
		ttl = time.Duration(secs * float64(time.Second))
	}
	return loginResult{token: string(tok), ttl: ttl}, nil
}
