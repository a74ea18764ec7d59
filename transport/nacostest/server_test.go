package nacostest

import (
	"crypto/tls"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/beatwheel/beatwheel/internal/testcert"
)

func TestStartValidatesConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"negative UnhealthyAfter", Config{UnhealthyAfter: -1}},
		{"negative RemoveAfter", Config{RemoveAfter: -time.Second}},
		{"negative CheckInterval", Config{CheckInterval: -1}},
		{"negative ClientBeatInterval", Config{ClientBeatInterval: -1}},
		{"negative TokenTTL", Config{TokenTTL: -1}},
		{"RemoveAfter below UnhealthyAfter", Config{UnhealthyAfter: 2 * time.Second, RemoveAfter: time.Second}},
		{"UnhealthyAfter above default RemoveAfter", Config{UnhealthyAfter: time.Minute}},
		{"ClientBeatInterval below 1ms", Config{ClientBeatInterval: time.Microsecond}},
		{"Password without Username", Config{Password: "p"}},
		{"negative Latency", Config{Faults: Faults{Latency: -1}}},
		{"ErrorRate above 1", Config{Faults: Faults{ErrorRate: 1.1}}},
		{"ResetRate negative", Config{Faults: Faults{ResetRate: -0.5}}},
		{"MalformedRate NaN", Config{Faults: Faults{MalformedRate: math.NaN()}}},
		{"rates above 1 together", Config{Faults: Faults{ErrorRate: 0.5, ResetRate: 0.3, MalformedRate: 0.3}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Start(tc.cfg)
			require.ErrorIs(t, err, ErrConfig)
			assert.Nil(t, s)
		})
	}
	t.Run("bad address", func(t *testing.T) {
		_, err := Start(Config{Addr: "256.0.0.1:bad"})
		require.Error(t, err)
		assert.NotErrorIs(t, err, ErrConfig)
	})
}

func TestStartDefaults(t *testing.T) {
	s := start(t, Config{})
	host, port, err := net.SplitHostPort(s.Addr())
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1", host)
	assert.NotEqual(t, "0", port)
	assert.Equal(t, 15*time.Second, s.cfg.UnhealthyAfter)
	assert.Equal(t, 30*time.Second, s.cfg.RemoveAfter)
	assert.Equal(t, time.Second, s.cfg.CheckInterval)
	assert.Equal(t, 5*time.Second, s.cfg.ClientBeatInterval)
	assert.Equal(t, 5*time.Hour, s.cfg.TokenTTL)
}

func TestCloseIsIdempotentAndLeaksNothing(t *testing.T) {
	s, err := Start(Config{CheckInterval: time.Millisecond})
	require.NoError(t, err)
	// An idle keep-alive connection and one in the middle of a request.
	idle, err := net.Dial("tcp", s.Addr())
	require.NoError(t, err)
	defer idle.Close()
	c := newClient(t, s)
	c.register("svc", "10.0.0.1", "80", nil)
	half, err := net.Dial("tcp", s.Addr())
	require.NoError(t, err)
	defer half.Close()
	_, err = half.Write([]byte("PUT /nacos/v1/ns/instance/beat HTTP/1.1\r\nHost: x\r\n"))
	require.NoError(t, err)
	// Close must find all three connections (idle, the client's keep-alive
	// one, half) being served.
	require.Eventually(t, func() bool {
		s.connMu.Lock()
		defer s.connMu.Unlock()
		return len(s.conns) == 3
	}, time.Second, time.Millisecond)

	require.NoError(t, s.Close())
	require.NoError(t, s.Close())
	c.hc.CloseIdleConnections()
	goleak.VerifyNone(t, goleak.IgnoreCurrent())

	_, err = net.DialTimeout("tcp", s.Addr(), time.Second)
	assert.Error(t, err, "the listener is closed")
	// Methods other than Close still answer after Close.
	assert.Equal(t, 1, s.Len())
	_ = s.Counters()
}

func TestTLS(t *testing.T) {
	cert, pool := testcert.SelfSigned(t)
	s := start(t, Config{TLS: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}})
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	t.Cleanup(tr.CloseIdleConnections)
	c := &client{t: t, base: "https://" + s.Addr(), hc: &http.Client{Transport: tr}}

	require.Equal(t, "ok", c.register("svc", "10.0.0.1", "80", nil).body)
	assert.Equal(t, beatOK, c.lightBeat("svc", "10.0.0.1", "80").body)

	// Plain HTTP is not served.
	plain := newClient(t, s)
	a, err := plain.try(http.MethodPut, "/nacos/v1/ns/instance/beat", nil, nil)
	if err == nil {
		assert.NotEqual(t, http.StatusOK, a.status)
	}
}

func TestConcurrentBeats(t *testing.T) {
	s := start(t, Config{CheckInterval: time.Millisecond})
	const instances, workers, beats = 64, 8, 200
	c := newClient(t, s)
	c.hc.Transport.(*http.Transport).MaxIdleConnsPerHost = workers
	for i := range instances {
		require.Equal(t, "ok", c.register("svc", fmt.Sprintf("10.0.0.%d", i), "80", nil).body)
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range beats {
				n := (w*beats + i) % (instances + 8) // a few unknown ones
				q := url.Values{"serviceName": {"svc"}, "ip": {fmt.Sprintf("10.0.0.%d", n)}, "port": {"80"}}
				a, err := c.try(http.MethodPut, "/nacos/v1/ns/instance/beat", q, nil)
				if err == nil && a.status != http.StatusOK {
					err = fmt.Errorf("status %d", a.status)
				}
				if err != nil {
					errs <- err
					return
				}
			}
			if w%2 == 0 {
				s.Restart() // concurrently with beats
			}
		}()
	}
	for range 20 {
		_ = s.Counters()
		_ = s.Len()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	cs := s.Counters()
	assert.Equal(t, uint64(workers*beats), cs.Beats)
	assert.Equal(t, uint64(workers*beats), cs.LightBeats)
	assert.Equal(t, uint64(workers*beats+instances), cs.Requests)
	assert.Equal(t, s.Len(), cs.Healthy+cs.Unhealthy)
}
