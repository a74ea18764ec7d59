package beatprom_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/beatwheel/beatwheel/beatprom"
	"github.com/beatwheel/beatwheel/reactor"
	"github.com/beatwheel/beatwheel/transport"
	"github.com/beatwheel/beatwheel/transport/nacostest"
)

// fixedTransportStats is a TransportStats that returns the same Stats
// every time.
type fixedTransportStats transport.Stats

func (f fixedTransportStats) Stats() transport.Stats { return transport.Stats(f) }

// TestTransportCollectorMapsEveryField feeds the collector a Stats whose
// fields all differ, so a field exported under the wrong name shows.
func TestTransportCollectorMapsEveryField(t *testing.T) {
	st := fixedTransportStats{
		ConnsDialled: 2, Resent: 3, ServerCloses: 5, ConnLimit: 7,
		Failovers: 11, Logins: 13, LoginFailures: 17,
	}
	want := `
# HELP beatwheel_transport_dials_total Pipelined connections dialled to the servers, those dialled ahead of need included.
# TYPE beatwheel_transport_dials_total counter
beatwheel_transport_dials_total{client="a"} 2
# HELP beatwheel_transport_resent_total Beats sent again, once each, because the server ended their connection in an orderly way before answering them.
# TYPE beatwheel_transport_resent_total counter
beatwheel_transport_resent_total{client="a"} 3
# HELP beatwheel_transport_server_closes_total Pipelined connections the server ended (Connection: close, EOF or reset), idle or not.
# TYPE beatwheel_transport_server_closes_total counter
beatwheel_transport_server_closes_total{client="a"} 5
# HELP beatwheel_transport_learned_limit Requests the current server answers on one pipelined connection before ending it, as learned; 0 while unknown, when the server sets no limit, or outside pipeline mode.
# TYPE beatwheel_transport_learned_limit gauge
beatwheel_transport_learned_limit{client="a"} 7
# HELP beatwheel_transport_failovers_total Moves of the client to the next server after a connection error.
# TYPE beatwheel_transport_failovers_total counter
beatwheel_transport_failovers_total{client="a"} 11
# HELP beatwheel_transport_logins_total Successful logins to the servers.
# TYPE beatwheel_transport_logins_total counter
beatwheel_transport_logins_total{client="a"} 13
# HELP beatwheel_transport_login_failures_total Failed login rounds.
# TYPE beatwheel_transport_login_failures_total counter
beatwheel_transport_login_failures_total{client="a"} 17
`
	c := beatprom.NewTransportCollector(st, beatprom.WithConstLabels(prometheus.Labels{"client": "a"}))
	require.NoError(t, testutil.CollectAndCompare(c, strings.NewReader(want)))
	problems, err := testutil.CollectAndLint(c)
	require.NoError(t, err)
	assert.Empty(t, problems)
	assert.Equal(t, 7, testutil.CollectAndCount(c))
}

// TestTransportCollectorScrapesClient beats through a real pipelined
// Client against nacostest, with a login and a server that ends each
// connection after three requests, then checks a scrape against the
// Client's Stats.
func TestTransportCollectorScrapesClient(t *testing.T) {
	const limit = 3
	srv, err := nacostest.Start(nacostest.Config{Username: "nacos", Password: "secret", MaxRequestsPerConn: limit})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Close()) })
	client, err := transport.New(transport.Config{
		Servers: []string{srv.Addr()}, Mode: transport.ModePipeline, Conns: 1,
		Username: "nacos", Password: "secret",
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, client.Close()) })
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(beatprom.NewTransportCollector(client))

	ctx := context.Background()
	beats := make([]reactor.Beat, 4)
	for i := range beats {
		b := &reactor.BeatInfo{ServiceName: "DEFAULT_GROUP@@orders", IP: "10.0.0.1", Port: 8080 + i, Weight: 1}
		require.NoError(t, client.Register(ctx, b))
		beats[i] = reactor.Beat{Info: b, Light: true}
	}
	results := make([]reactor.BeatResult, len(beats))
	for round := range 3 {
		client.SendBeats(ctx, beats, results)
		for i, r := range results {
			require.NoError(t, r.Err, "round %d beat %d", round, i)
			require.Equal(t, reactor.CodeOK, r.Code, "round %d beat %d", round, i)
		}
	}

	// The client may still be dialling ahead or seeing a close: compare
	// a scrape with the Stats read on either side of it, once they agree.
	var st transport.Stats
	var mfs []*dto.MetricFamily
	require.Eventually(t, func() bool {
		before := client.Stats()
		var err error
		mfs, err = reg.Gather()
		st = client.Stats()
		return assert.NoError(t, err) && st == before
	}, 10*time.Second, 10*time.Millisecond)
	require.Positive(t, st.ConnsDialled)
	require.Positive(t, st.ServerCloses, "the server ends a connection every %d requests", limit)
	require.Equal(t, limit, st.ConnLimit, "learned from the server")
	require.Positive(t, st.Logins)

	tests := []struct {
		name string
		want float64
	}{
		{"beatwheel_transport_dials_total", float64(st.ConnsDialled)},
		{"beatwheel_transport_resent_total", float64(st.Resent)},
		{"beatwheel_transport_server_closes_total", float64(st.ServerCloses)},
		{"beatwheel_transport_learned_limit", float64(st.ConnLimit)},
		{"beatwheel_transport_failovers_total", float64(st.Failovers)},
		{"beatwheel_transport_logins_total", float64(st.Logins)},
		{"beatwheel_transport_login_failures_total", float64(st.LoginFailures)},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, value(find(t, mfs, tc.name, nil)), tc.name)
	}
	problems, err := testutil.GatherAndLint(reg)
	require.NoError(t, err)
	assert.Empty(t, problems)
}
