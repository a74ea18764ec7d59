package nacostest

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type loginAnswer struct {
	AccessToken string `json:"accessToken"`
	TokenTTL    int64  `json:"tokenTtl"`
	GlobalAdmin bool   `json:"globalAdmin"`
}

func login(t *testing.T, c *client, path, user, pass string) (int, loginAnswer, string) {
	t.Helper()
	// As the Java client: username in the query, password in the body.
	a := c.do(http.MethodPost, path, url.Values{"username": {user}}, url.Values{"password": {pass}})
	var l loginAnswer
	if a.status == http.StatusOK {
		require.NoError(t, json.Unmarshal([]byte(a.body), &l))
	}
	return a.status, l, a.body
}

func TestAuth(t *testing.T) {
	s := start(t, Config{Username: "nacos", Password: "secret"})
	c := newClient(t, s)
	id := url.Values{"serviceName": {"svc"}, "ip": {"10.0.0.1"}, "port": {"80"}}

	a := c.do(http.MethodPost, "/nacos/v1/ns/instance", id, nil)
	assert.Equal(t, http.StatusForbidden, a.status, "no token")
	assert.Equal(t, "user not found!", a.body)

	a = c.do(http.MethodPost, "/nacos/v1/ns/instance", url.Values{"accessToken": {"forged"}, "serviceName": {"svc"}}, nil)
	assert.Equal(t, http.StatusForbidden, a.status)
	assert.Equal(t, "token invalid!", a.body)

	status, _, body := login(t, c, "/nacos/v1/auth/users/login", "nacos", "wrong")
	assert.Equal(t, http.StatusForbidden, status)
	assert.Equal(t, "unknown user!", body)

	for _, path := range []string{"/nacos/v1/auth/login", "/nacos/v1/auth/users/login"} {
		status, l, _ := login(t, c, path, "nacos", "secret")
		require.Equal(t, http.StatusOK, status, path)
		assert.NotEmpty(t, l.AccessToken)
		assert.Equal(t, int64(18000), l.TokenTTL)
		assert.True(t, l.GlobalAdmin)

		// The token as a query parameter, as a form parameter, and as a bearer.
		q := url.Values{"accessToken": {l.AccessToken}}
		for k, v := range id {
			q[k] = v
		}
		require.Equal(t, http.StatusOK, c.do(http.MethodPost, "/nacos/v1/ns/instance", q, nil).status)
		assert.Equal(t, beatOK, c.do(http.MethodPut, "/nacos/v1/ns/instance/beat", id, url.Values{"accessToken": {l.AccessToken}}).body)
		req, err := http.NewRequest(http.MethodPut, c.base+"/nacos/v1/ns/instance/beat?"+id.Encode(), nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+l.AccessToken)
		resp, err := c.hc.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	}
	cs := s.Counters()
	assert.Equal(t, uint64(2), cs.Logins)
	assert.Equal(t, uint64(3), cs.AuthFailures)
}

func TestAuthTokenExpires(t *testing.T) {
	s := start(t, Config{Username: "nacos", Password: "secret", TokenTTL: 200 * time.Millisecond})
	c := newClient(t, s)
	status, l, _ := login(t, c, "/nacos/v1/auth/login", "nacos", "secret")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, int64(1), l.TokenTTL, "rounded up to whole seconds")
	q := url.Values{"accessToken": {l.AccessToken}, "serviceName": {"svc"}, "ip": {"10.0.0.1"}, "port": {"80"}}
	assert.Equal(t, beatNotFound, c.do(http.MethodPut, "/nacos/v1/ns/instance/beat", q, nil).body)
	time.Sleep(210 * time.Millisecond)
	a := c.do(http.MethodPut, "/nacos/v1/ns/instance/beat", q, nil)
	assert.Equal(t, http.StatusForbidden, a.status)
	assert.Equal(t, "token expired!", a.body)

	// A new login gives a fresh token.
	_, l, _ = login(t, c, "/nacos/v1/auth/login", "nacos", "secret")
	q.Set("accessToken", l.AccessToken)
	assert.Equal(t, beatNotFound, c.do(http.MethodPut, "/nacos/v1/ns/instance/beat", q, nil).body)
}

func TestLogsNeverHoldSecrets(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := Start(Config{Username: "nacos", Password: "s3cret-pw", Logger: log, UnhealthyAfter: time.Millisecond, RemoveAfter: 2 * time.Millisecond, CheckInterval: time.Millisecond})
	require.NoError(t, err)
	c := newClient(t, s)
	login(t, c, "/nacos/v1/auth/login", "nacos", "wrong-pw")
	_, l, _ := login(t, c, "/nacos/v1/auth/login", "nacos", "s3cret-pw")
	q := url.Values{"accessToken": {l.AccessToken}, "serviceName": {"svc"}, "ip": {"10.0.0.1"}, "port": {"80"}}
	require.Equal(t, "ok", c.do(http.MethodPost, "/nacos/v1/ns/instance", q, nil).body)
	require.Eventually(t, func() bool { return s.Len() == 0 }, time.Second, time.Millisecond)
	c.do(http.MethodDelete, "/nacos/v1/ns/instance", q, nil)
	require.NoError(t, s.Close()) // no more writes to buf after this
	out := buf.String()
	assert.Contains(t, out, "register")
	assert.Contains(t, out, "removed")
	assert.Contains(t, out, "login refused")
	assert.NotContains(t, out, "s3cret-pw")
	assert.NotContains(t, out, "wrong-pw")
	assert.NotContains(t, out, l.AccessToken)
}

func TestNoAuthConfigured(t *testing.T) {
	s := start(t, Config{})
	c := newClient(t, s)
	status, l, _ := login(t, c, "/nacos/v1/auth/login", "anyone", "anything")
	require.Equal(t, http.StatusOK, status)
	assert.NotEmpty(t, l.AccessToken)
	assert.Equal(t, beatNotFound, c.lightBeat("svc", "10.0.0.1", "80").body, "no token needed")
	assert.Equal(t, uint64(1), s.Counters().Logins)
}
