package nacostest

import (
	"encoding/json"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFaults(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults Faults
		check  func(t *testing.T, a answer, err error, took time.Duration)
		count  func(Counters) uint64
	}{
		{
			name:   "latency",
			faults: Faults{Latency: 50 * time.Millisecond},
			check: func(t *testing.T, a answer, err error, took time.Duration) {
				require.NoError(t, err)
				assert.Equal(t, beatOK, a.body)
				assert.GreaterOrEqual(t, took, 50*time.Millisecond)
			},
			count: func(c Counters) uint64 { return c.Beats },
		},
		{
			name:   "error",
			faults: Faults{ErrorRate: 1},
			check: func(t *testing.T, a answer, err error, _ time.Duration) {
				require.NoError(t, err)
				assert.Equal(t, http.StatusInternalServerError, a.status)
				assert.NotEmpty(t, a.body)
			},
			count: func(c Counters) uint64 { return c.Errors },
		},
		{
			name:   "reset",
			faults: Faults{ResetRate: 1},
			check: func(t *testing.T, _ answer, err error, _ time.Duration) {
				require.Error(t, err)
			},
			count: func(c Counters) uint64 { return c.Resets },
		},
		{
			name:   "malformed",
			faults: Faults{MalformedRate: 1},
			check: func(t *testing.T, a answer, err error, _ time.Duration) {
				require.NoError(t, err)
				assert.Equal(t, http.StatusOK, a.status)
				assert.False(t, json.Valid([]byte(a.body)), "body %q is JSON", a.body)
			},
			count: func(c Counters) uint64 { return c.Malformed },
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t, Config{})
			c := newClient(t, s)
			c.register("svc", "10.0.0.1", "80", nil)
			require.NoError(t, s.SetFaults(tc.faults))
			began := time.Now()
			a, err := c.try(http.MethodPut, "/nacos/v1/ns/instance/beat", map[string][]string{
				"serviceName": {"svc"}, "ip": {"10.0.0.1"}, "port": {"80"},
			}, nil)
			tc.check(t, a, err, time.Since(began))
			assert.Equal(t, uint64(1), tc.count(s.Counters()))

			// Faults off: the server answers normally again.
			require.NoError(t, s.SetFaults(Faults{}))
			assert.Equal(t, beatOK, c.lightBeat("svc", "10.0.0.1", "80").body)
		})
	}
}

func TestFaultsAreDrawnAtTheirRates(t *testing.T) {
	s := start(t, Config{Faults: Faults{ErrorRate: 0.25, MalformedRate: 0.25}})
	c := newClient(t, s)
	const n = 400
	for range n {
		c.lightBeat("svc", "10.0.0.1", "80")
	}
	cs := s.Counters()
	// Binomial(400, 0.25): mean 100, sd about 8.7; these bounds are 6 sd wide.
	assert.InDelta(t, 100, float64(cs.Errors), 52)
	assert.InDelta(t, 100, float64(cs.Malformed), 52)
	assert.Equal(t, n-cs.Errors-cs.Malformed, cs.NotFound, "faulted requests are not processed")
	assert.Equal(t, uint64(n), cs.Requests)
}

func TestFaultsOnlyHitNamingRequests(t *testing.T) {
	s := start(t, Config{Faults: Faults{ErrorRate: 1}})
	c := newClient(t, s)
	assert.Equal(t, http.StatusOK, c.do(http.MethodPost, "/nacos/v1/auth/login", nil, map[string][]string{"username": {"u"}, "password": {"p"}}).status)
	assert.Equal(t, http.StatusInternalServerError, c.lightBeat("svc", "10.0.0.1", "80").status)
}

func TestSetFaultsRejectsInvalid(t *testing.T) {
	s := start(t, Config{})
	for _, f := range []Faults{
		{Latency: -1},
		{ErrorRate: -0.1},
		{ResetRate: 1.5},
		{MalformedRate: 2},
		{ErrorRate: 0.6, ResetRate: 0.6},
		{ErrorRate: math.NaN()},
		{ResetRate: math.NaN()},
		{MalformedRate: -1e-9},
		{ErrorRate: math.Inf(1)},
		{Latency: -time.Nanosecond, ErrorRate: 1},
		{ErrorRate: 0.5, MalformedRate: 0.5, ResetRate: 0.01},
	} {
		require.ErrorIs(t, s.SetFaults(f), ErrConfig, "%+v", f)
	}
	// A rejected SetFaults changes nothing: the faults in force stay.
	c := newClient(t, s)
	require.NoError(t, s.SetFaults(Faults{ErrorRate: 1}))
	require.ErrorIs(t, s.SetFaults(Faults{ErrorRate: 2}), ErrConfig)
	assert.Equal(t, http.StatusInternalServerError, c.lightBeat("svc", "10.0.0.1", "80").status)
	require.NoError(t, s.SetFaults(Faults{}))
	require.ErrorIs(t, s.SetFaults(Faults{ResetRate: -1}), ErrConfig)
	assert.Equal(t, http.StatusOK, c.lightBeat("svc", "10.0.0.1", "80").status)
	// Rates adding up to exactly 1 are valid.
	require.NoError(t, s.SetFaults(Faults{ErrorRate: 0.5, MalformedRate: 0.25, ResetRate: 0.25}))
}

// TestInstanceBadInput: Instance with identities the server cannot hold
// finds nothing and changes nothing.
func TestInstanceBadInput(t *testing.T) {
	s := start(t, Config{})
	c := newClient(t, s)
	require.Equal(t, http.StatusOK, c.register("svc", "10.0.0.1", "80", nil).status)
	for _, tc := range []struct {
		ns, svc, cluster, ip string
		port                 int
	}{
		{"", "", "", "", 0},
		{"", "svc", "", "10.0.0.1", -1},
		{"", "svc", "", "10.0.0.1", 1 << 20},
		{"", "svc\x00", "", "10.0.0.1", 80},
		{"nope", "svc", "", "10.0.0.1", 80},
		{"", "svc", "OTHER", "10.0.0.1", 80},
		{"", "@@svc", "", "10.0.0.1", 80},
	} {
		_, ok := s.Instance(tc.ns, tc.svc, tc.cluster, tc.ip, tc.port)
		assert.False(t, ok, "%+v", tc)
	}
	assert.Equal(t, 1, s.Len())
	_, ok := s.Instance("", "svc", "", "10.0.0.1", 80)
	assert.True(t, ok)
}

func TestCloseDuringLatency(t *testing.T) {
	s, err := Start(Config{Faults: Faults{Latency: time.Hour}})
	require.NoError(t, err)
	c := newClient(t, s)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = c.try(http.MethodPut, "/nacos/v1/ns/instance/beat", nil, nil)
	}()
	require.Eventually(t, func() bool { return s.Counters().Requests == 1 }, 5*time.Second, time.Millisecond)
	began := time.Now()
	require.NoError(t, s.Close())
	assert.Less(t, time.Since(began), 5*time.Second)
	<-done
}
