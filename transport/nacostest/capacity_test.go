package nacostest

import (
	"math"
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRegistrationCapacity: a server limited to a rate of registrations
// takes its burst at once and answers the rest 503 without registering
// them; beats are not limited. The rate is tiny so that no token refills
// while the test runs, whatever the machine's speed.
func TestRegistrationCapacity(t *testing.T) {
	const perSecond, tries = 0.01, 5 // burst: 1
	s := start(t, Config{MaxRegistrationsPerSecond: perSecond})
	c := newClient(t, s)
	statuses := map[int]int{}
	for i := range tries {
		statuses[c.register("svc", "10.0.0."+strconv.Itoa(i+1), "8080", nil).status]++
	}
	assert.Equal(t, map[int]int{http.StatusOK: 1, http.StatusServiceUnavailable: tries - 1}, statuses)
	assert.Equal(t, 1, s.Len(), "a refused registration registers nothing")
	got := s.Counters()
	assert.Equal(t, uint64(1), got.Registrations)
	assert.Equal(t, uint64(tries-1), got.RegistrationsRefused)

	assert.Equal(t, http.StatusOK, c.lightBeat("svc", "10.0.0.1", "8080").status, "beats are not limited")
}

func TestRegistrationCapacityConfig(t *testing.T) {
	for _, v := range []float64{-1, math.NaN()} {
		_, err := Start(Config{MaxRegistrationsPerSecond: v})
		require.ErrorIs(t, err, ErrConfig, "%v", v)
	}
	for _, tc := range []struct {
		perSecond float64
		burst     int
	}{{0.01, 1}, {5, 1}, {10, 1}, {11, 2}, {1000, 100}} {
		assert.Equal(t, tc.burst, registrationBurst(tc.perSecond), "%v per second", tc.perSecond)
	}
}
