package nacostest

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/valyala/fasthttp"
)

// tokenStore keeps the access tokens and their expiry (nanoseconds since
// Start). Readers load an immutable map, lock-free and without allocation;
// a login copies it.
type tokenStore struct {
	mu sync.Mutex // serialises logins
	m  atomic.Pointer[map[string]int64]
}

func (t *tokenStore) init() {
	m := map[string]int64{}
	t.m.Store(&m)
}

// add stores token until expiry, dropping tokens expired for longer than
// ttl so the map does not grow without bound.
func (t *tokenStore) add(token string, now, expiry, ttl int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	old := *t.m.Load()
	m := make(map[string]int64, len(old)+1)
	for k, exp := range old {
		if now-exp <= ttl {
			m[k] = exp
		}
	}
	m[token] = expiry
	t.m.Store(&m)
}

// authMessage checks the token of a naming request and returns "" when it
// is valid, else the message Nacos answers with 403.
func (s *Server) authMessage(ctx *fasthttp.RequestCtx) string {
	tok := ctx.Request.Header.Peek("Authorization")
	if bytes.HasPrefix(tok, bearerPrefix) {
		tok = bytes.TrimSpace(tok[len(bearerPrefix):])
	} else {
		tok = param(ctx, "accessToken")
	}
	if len(tok) == 0 {
		return "user not found!"
	}
	exp, ok := (*s.tokens.m.Load())[string(tok)]
	switch {
	case !ok:
		return "token invalid!"
	case s.now() >= exp:
		return "token expired!"
	}
	return ""
}

var bearerPrefix = []byte("Bearer ")

// login answers POST /nacos/v1/auth/login and /nacos/v1/auth/users/login.
func (s *Server) login(ctx *fasthttp.RequestCtx, st *counterStripe) {
	if !ctx.IsPost() {
		methodNotAllowed(ctx)
		return
	}
	if s.cfg.Username != "" {
		user, pass := param(ctx, "username"), param(ctx, "password")
		okUser := subtle.ConstantTimeCompare(user, []byte(s.cfg.Username)) == 1
		okPass := subtle.ConstantTimeCompare(pass, []byte(s.cfg.Password)) == 1
		if !okUser || !okPass {
			st.authFailures.Add(1)
			s.log.Debug("nacostest: login refused")
			writeText(ctx, fasthttp.StatusForbidden, "unknown user!")
			return
		}
	}
	var raw [24]byte
	_, _ = rand.Read(raw[:]) // crypto/rand.Read never fails
	token := "nacostest." + hex.EncodeToString(raw[:])
	ttl := int64(s.cfg.TokenTTL)
	now := s.now()
	s.tokens.add(token, now, now+ttl, ttl)
	st.logins.Add(1)
	s.log.Debug("nacostest: login")

	secs := (s.cfg.TokenTTL + 999_999_999) / 1_000_000_000 // rounded up
	b := make([]byte, 0, 128)
	b = append(b, `{"accessToken":"`...)
	b = append(b, token...)
	b = append(b, `","tokenTtl":`...)
	b = strconv.AppendInt(b, int64(secs), 10)
	b = append(b, `,"globalAdmin":true}`...)
	ctx.SetStatusCode(fasthttp.StatusOK)
	ctx.SetContentType(contentJSON)
	ctx.SetBody(b)
}
