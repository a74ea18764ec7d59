package transporttest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/beatwheel/beatwheel/reactor"
	"github.com/beatwheel/beatwheel/transport/nacostest"
)

// Config describes the Transport under test.
type Config struct {
	// New returns the Transport under test, speaking plain HTTP to the
	// Nacos server at addr ("host:port"). Run calls it once per test;
	// release what it holds with t.Cleanup.
	New func(t *testing.T, addr string) reactor.Transport
}

// Run runs the contract's tests on the Transport cfg describes, each as a
// subtest with a server of its own. The caller's TestMain should check
// for leaked goroutines.
func Run(t *testing.T, cfg Config) {
	require.NotNil(t, cfg.New, "Config.New")
	for _, tc := range []struct {
		name string
		test func(*testing.T)
	}{
		{"RegisterThenBeat", cfg.testRegisterThenBeat},
		{"LightBeatOfUnknownIsNotFound", cfg.testLightBeatOfUnknown},
		{"FullBeatRegisters", cfg.testFullBeatRegisters},
		{"Deregister", cfg.testDeregister},
		{"BatchAnsweredInPlace", cfg.testBatchAnsweredInPlace},
		{"ConcurrentBatches", cfg.testConcurrentBatches},
		{"EmptyBatch", cfg.testEmptyBatch},
		{"ServerRestartedEmpty", cfg.testServerRestartedEmpty},
		{"HTTPError", cfg.testFault(nacostest.Faults{ErrorRate: 1})},
		{"MalformedAnswer", cfg.testFault(nacostest.Faults{MalformedRate: 1})},
		{"ServerDown", cfg.testServerDown},
		{"Deadline", cfg.testDeadline},
		{"Cancelled", cfg.testCancelled},
	} {
		t.Run(tc.name, tc.test)
	}
}

// serverBeatInterval is the clientBeatInterval the test servers answer:
// not Nacos' default, so an answer that carries it came from the server.
const serverBeatInterval = 3 * time.Second

// service is the grouped service name of every instance.
const service = "DEFAULT_GROUP@@transporttest"

// start returns a running server, closed at cleanup, and the Transport
// under test speaking to it.
func (c Config) start(t *testing.T, faults nacostest.Faults) (*nacostest.Server, reactor.Transport) {
	t.Helper()
	srv, err := nacostest.Start(nacostest.Config{ClientBeatInterval: serverBeatInterval, Faults: faults})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	tr := c.New(t, srv.Addr())
	require.NotNil(t, tr, "Config.New returned nil")
	return srv, tr
}

// instance returns the i-th test instance: cluster c1, weight 2.5, and
// metadata for even i.
func instance(i int) *reactor.BeatInfo {
	b := &reactor.BeatInfo{
		ServiceName: service,
		IP:          fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255),
		Port:        8080,
		Cluster:     "c1",
		Weight:      2.5,
	}
	if i%2 == 0 {
		b.Metadata = map[string]string{"zone": "z1", "i": fmt.Sprint(i)}
	}
	return b
}

// bounded returns a context that ends the test's wait for a Transport that
// hangs: a Transport must answer long before it.
func bounded(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// send sends beats and returns their results.
func send(ctx context.Context, tr reactor.Transport, beats []reactor.Beat) []reactor.BeatResult {
	results := make([]reactor.BeatResult, len(beats))
	tr.SendBeats(ctx, beats, results)
	return results
}

// light returns light beats of bs.
func light(bs ...*reactor.BeatInfo) []reactor.Beat {
	beats := make([]reactor.Beat, len(bs))
	for i, b := range bs {
		beats[i] = reactor.Beat{Info: b, Light: true}
	}
	return beats
}

// known asserts that srv holds b as registered, or as a full beat of b
// registers it.
func known(t *testing.T, srv *nacostest.Server, b *reactor.BeatInfo) {
	t.Helper()
	in, ok := srv.Instance("public", b.ServiceName, b.Cluster, b.IP, b.Port)
	require.True(t, ok, "%s:%d is not registered", b.IP, b.Port)
	assert.Equal(t, b.Weight, in.Weight)
	assert.Equal(t, b.Metadata, in.Metadata)
	assert.True(t, in.Ephemeral, "ephemeral")
	assert.True(t, in.Healthy, "healthy")
}

// accepted asserts that res is an accepted beat's answer from the test
// server.
func accepted(t *testing.T, res reactor.BeatResult) {
	t.Helper()
	require.NoError(t, res.Err)
	assert.Equal(t, reactor.CodeOK, res.Code)
	assert.Equal(t, serverBeatInterval, res.ClientBeatInterval)
	assert.True(t, res.LightBeatEnabled, "lightBeatEnabled")
}

func (c Config) testRegisterThenBeat(t *testing.T) {
	srv, tr := c.start(t, nacostest.Faults{})
	for i := range 2 { // with metadata and without
		b := instance(i)
		require.NoError(t, tr.Register(bounded(t), b))
		known(t, srv, b)
		for _, beat := range []reactor.Beat{{Info: b, Light: true}, {Info: b}} {
			accepted(t, send(bounded(t), tr, []reactor.Beat{beat})[0])
		}
	}
	assert.Equal(t, uint64(2), srv.Counters().LightBeats)
}

func (c Config) testLightBeatOfUnknown(t *testing.T) {
	srv, tr := c.start(t, nacostest.Faults{})
	res := send(bounded(t), tr, light(instance(1)))[0]
	require.NoError(t, res.Err)
	assert.Equal(t, reactor.CodeNotFound, res.Code)
	assert.Zero(t, srv.Len(), "a light beat registers nothing")
}

func (c Config) testFullBeatRegisters(t *testing.T) {
	srv, tr := c.start(t, nacostest.Faults{})
	for i := range 2 {
		b := instance(i)
		accepted(t, send(bounded(t), tr, []reactor.Beat{{Info: b}})[0])
		known(t, srv, b)
	}
}

func (c Config) testDeregister(t *testing.T) {
	srv, tr := c.start(t, nacostest.Faults{})
	b := instance(4)
	require.NoError(t, tr.Register(bounded(t), b))
	require.NoError(t, tr.Deregister(bounded(t), b))
	_, ok := srv.Instance("public", b.ServiceName, b.Cluster, b.IP, b.Port)
	assert.False(t, ok, "still registered after Deregister")
	assert.Equal(t, reactor.CodeNotFound, send(bounded(t), tr, light(b))[0].Code)
	// Deregistering an instance the server does not know is no error, as
	// in Nacos.
	assert.NoError(t, tr.Deregister(bounded(t), instance(5)))
}

// testBatchAnsweredInPlace sends one batch of n light beats, several
// times the server's 100 requests per connection, of which every third
// instance is unknown: each answer lands at its beat's index.
func (c Config) testBatchAnsweredInPlace(t *testing.T) {
	const n = 1000
	srv, tr := c.start(t, nacostest.Faults{})
	bs := make([]*reactor.BeatInfo, n)
	for i := range bs {
		bs[i] = instance(i)
		if i%3 != 0 {
			require.NoError(t, tr.Register(bounded(t), bs[i]))
		}
	}
	results := send(bounded(t), tr, light(bs...))
	for i, res := range results {
		require.NoError(t, res.Err, "beat %d", i)
		want := reactor.CodeOK
		if i%3 == 0 {
			want = reactor.CodeNotFound
		}
		require.Equal(t, want, res.Code, "beat %d", i)
	}
	assert.GreaterOrEqual(t, srv.Counters().Beats, uint64(n))
}

// testConcurrentBatches sends batches from several goroutines at once.
func (c Config) testConcurrentBatches(t *testing.T) {
	const goroutines, per = 8, 150
	srv, tr := c.start(t, nacostest.Faults{})
	batches := make([][]reactor.Beat, goroutines)
	for g := range batches {
		bs := make([]*reactor.BeatInfo, per)
		for i := range bs {
			bs[i] = instance(g*per + i)
			require.NoError(t, tr.Register(bounded(t), bs[i]))
		}
		batches[g] = light(bs...)
	}
	results := make([][]reactor.BeatResult, goroutines)
	var wg sync.WaitGroup
	for g := range batches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[g] = send(bounded(t), tr, batches[g])
		}()
	}
	wg.Wait()
	for g := range results {
		for i, res := range results[g] {
			require.NoError(t, res.Err, "goroutine %d, beat %d", g, i)
			require.Equal(t, reactor.CodeOK, res.Code, "goroutine %d, beat %d", g, i)
		}
	}
	assert.GreaterOrEqual(t, srv.Counters().Beats, uint64(goroutines*per))
}

func (c Config) testEmptyBatch(t *testing.T) {
	srv, tr := c.start(t, nacostest.Faults{})
	tr.SendBeats(bounded(t), nil, nil)
	assert.Zero(t, srv.Counters().Beats)
}

// testServerRestartedEmpty: after the server forgets every instance, a
// light beat is not found and a full beat registers its instance again.
func (c Config) testServerRestartedEmpty(t *testing.T) {
	srv, tr := c.start(t, nacostest.Faults{})
	b := instance(2)
	require.NoError(t, tr.Register(bounded(t), b))
	srv.Restart()
	assert.Equal(t, reactor.CodeNotFound, send(bounded(t), tr, light(b))[0].Code)
	accepted(t, send(bounded(t), tr, []reactor.Beat{{Info: b}})[0])
	known(t, srv, b)
}

// testFault returns a test against a server that answers every naming
// request with f: every beat and registration fails, with an error.
func (c Config) testFault(f nacostest.Faults) func(*testing.T) {
	return func(t *testing.T) {
		_, tr := c.start(t, f)
		b := instance(1)
		assert.Error(t, tr.Register(bounded(t), b))
		failedAs(t, reactor.KindTransport, send(bounded(t), tr, []reactor.Beat{{Info: b}, {Info: b, Light: true}}))
	}
}

// failedAs asserts that every result is an error the Reactor reads as
// kind, with no code.
func failedAs(t *testing.T, kind reactor.FailureKind, results []reactor.BeatResult) {
	t.Helper()
	for i, res := range results {
		require.Error(t, res.Err, "beat %d", i)
		assert.Equal(t, kind, res.Kind(), "beat %d: %v", i, res.Err)
		assert.Zero(t, res.Code, "beat %d: an error's Code", i)
	}
}

// testServerDown: nothing listens at the address. Every beat fails with
// an error that is not a timeout, well before ctx's deadline.
func (c Config) testServerDown(t *testing.T) {
	srv, tr := c.start(t, nacostest.Faults{})
	require.NoError(t, srv.Close())
	b := instance(1)
	assert.Error(t, tr.Register(bounded(t), b))
	failedAs(t, reactor.KindTransport, send(bounded(t), tr, light(b, instance(2), instance(3))))
}

// testDeadline: the server answers after ctx's deadline. Every beat fails
// with a timeout, and SendBeats returns once the deadline passed, not when
// the answers come (a second later). Under -race, a Transport that still
// wrote to results after returning would fail here.
func (c Config) testDeadline(t *testing.T) {
	srv, tr := c.start(t, nacostest.Faults{})
	b := instance(1)
	require.NoError(t, tr.Register(bounded(t), b))
	require.NoError(t, srv.SetFaults(nacostest.Faults{Latency: time.Second}))
	short, cancel := context.WithTimeout(bounded(t), 50*time.Millisecond)
	defer cancel()
	failedAs(t, reactor.KindTimeout, send(short, tr, light(b, b, b)))
}

// testCancelled: a cancelled ctx fails every beat with ctx's error.
func (c Config) testCancelled(t *testing.T) {
	_, tr := c.start(t, nacostest.Faults{})
	b := instance(1)
	require.NoError(t, tr.Register(bounded(t), b))
	done, cancel := context.WithCancel(bounded(t))
	cancel()
	for i, res := range send(done, tr, light(b, b)) {
		assert.ErrorIs(t, res.Err, context.Canceled, "beat %d", i)
	}
}
