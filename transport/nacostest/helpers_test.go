package nacostest

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// start starts a server for one test and closes it when the test ends.
func start(t *testing.T, cfg Config) *Server {
	t.Helper()
	s, err := Start(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

// client is a plain net/http client for one server.
type client struct {
	t    *testing.T
	base string
	hc   *http.Client
}

func newClient(t *testing.T, s *Server) *client {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &client{t: t, base: "http://" + s.Addr(), hc: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
}

type answer struct {
	status int
	body   string
	ctype  string
}

// do sends query in the URL and, when form is not nil, form as an
// application/x-www-form-urlencoded body.
func (c *client) do(method, path string, query, form url.Values) answer {
	c.t.Helper()
	a, err := c.try(method, path, query, form)
	require.NoError(c.t, err)
	return a
}

func (c *client) try(method, path string, query, form url.Values) (answer, error) {
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		return answer{}, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, body: string(b), ctype: resp.Header.Get("Content-Type")}, err
}

// register registers svc ip:port in the default namespace, group and cluster.
func (c *client) register(svc, ip, port string, extra url.Values) answer {
	c.t.Helper()
	q := url.Values{"serviceName": {svc}, "ip": {ip}, "port": {port}}
	for k, v := range extra {
		q[k] = v
	}
	return c.do(http.MethodPost, "/nacos/v1/ns/instance", q, nil)
}

// lightBeat beats svc ip:port without a beat parameter.
func (c *client) lightBeat(svc, ip, port string) answer {
	c.t.Helper()
	return c.do(http.MethodPut, "/nacos/v1/ns/instance/beat",
		url.Values{"serviceName": {svc}, "ip": {ip}, "port": {port}}, nil)
}

// fullBeat beats like the Java client: identity in the query, beat in the form.
func (c *client) fullBeat(svc, ip, port, beat string) answer {
	c.t.Helper()
	return c.do(http.MethodPut, "/nacos/v1/ns/instance/beat",
		url.Values{"serviceName": {svc}, "ip": {ip}, "port": {port}}, url.Values{"beat": {beat}})
}

const (
	beatOK       = `{"clientBeatInterval":5000,"code":10200,"lightBeatEnabled":true}`
	beatNotFound = `{"clientBeatInterval":5000,"code":20404}`
)
