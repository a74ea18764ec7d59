package bench

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nacos-group/nacos-sdk-go/clients"
	"github.com/nacos-group/nacos-sdk-go/clients/naming_client"
	"github.com/nacos-group/nacos-sdk-go/common/constant"
	"github.com/nacos-group/nacos-sdk-go/vo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/beatwheel/beatwheel/reactor"
	"github.com/beatwheel/beatwheel/transport/nacostest"
)

// nacos-sdk-go v1.1.4 is what a Go user reaches for to keep instances
// alive in Nacos 1.x. Its naming client registers an instance with one
// HTTP POST and then beats for it from a goroutine of its own (BeatReactor
// .sendInstanceBeat): beat, sleep the period, repeat. A beat is always full
// (the SDK ignores lightBeatEnabled and code 20404), at most 20 are in
// flight at once (a semaphore), and each goes through a fresh http.Client
// on http.DefaultTransport, whose pool keeps only 2 idle connections per
// host. Things about it that shape the measurements below:
//
//   - ClientConfig.BeatInterval is stored and never read. The period of an
//     instance is 5 s until the first answer, then the server's
//     clientBeatInterval; the metadata key preserved.heart.beat.interval is
//     read as nanoseconds, not milliseconds. To shorten the period, shorten
//     nacostest's ClientBeatInterval.
//   - The first beat goes out as soon as RegisterInstance returns: first
//     beats are not spread over a period, they follow the registrations.
//   - Nothing stops a naming client. The beat goroutine of an instance ends
//     after DeregisterInstance, once its sleep is over; two goroutines per
//     client never end (see TestMain) and hold a UDP port.
//   - The beat's form body is not URL-encoded (http_agent/put.go joins
//     key=value with &): a metadata value holding '&', '+' or '%' reaches
//     the server altered or cut. Registration (post.go) is encoded.

// sdkTimeout is the SDK's request timeout.
const sdkTimeout = 5 * time.Second

// newSDKClient makes a nacos-sdk-go v1 naming client for the server at
// addr, with its cache and log under dir. Its BeatInterval is set to
// period, for the record: the SDK never reads it.
func newSDKClient(addr, dir string, period time.Duration) (naming_client.INamingClient, error) {
	host, portS, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	port, err := strconv.ParseUint(portS, 10, 16)
	if err != nil {
		return nil, err
	}
	return clients.NewNamingClient(vo.NacosClientParam{
		ClientConfig: &constant.ClientConfig{
			NamespaceId:         "", // public
			TimeoutMs:           uint64(sdkTimeout.Milliseconds()),
			BeatInterval:        period.Milliseconds(),
			NotLoadCacheAtStart: true,
			CacheDir:            filepath.Join(dir, "cache"),
			LogDir:              filepath.Join(dir, "log"),
			LogLevel:            "error",
		},
		ServerConfigs: []constant.ServerConfig{{Scheme: "http", IpAddr: host, Port: port, ContextPath: "/nacos"}},
	})
}

// sdkParams turns a BeatInfo of beatload's population into the SDK's
// register and deregister parameters: the same service, group, cluster,
// address, weight and metadata, ephemeral, enabled and healthy.
func sdkParams(b *reactor.BeatInfo) (vo.RegisterInstanceParam, vo.DeregisterInstanceParam) {
	group, name, ok := strings.Cut(b.ServiceName, "@@")
	if !ok {
		group, name = constant.DEFAULT_GROUP, b.ServiceName
	}
	return vo.RegisterInstanceParam{
			Ip: b.IP, Port: uint64(b.Port), Weight: b.Weight, Enable: true, Healthy: true,
			Metadata: b.Metadata, ClusterName: b.Cluster, ServiceName: name, GroupName: group, Ephemeral: true,
		}, vo.DeregisterInstanceParam{
			Ip: b.IP, Port: uint64(b.Port), Cluster: b.Cluster, ServiceName: name, GroupName: group, Ephemeral: true,
		}
}

// TestNacosSDK checks that nacos-sdk-go v1.1.4 works against nacostest:
// it registers instances, beats for them, and deregisters them, and the
// server sees exactly what the SDK was told.
func TestNacosSDK(t *testing.T) {
	const period = 200 * time.Millisecond
	srv, err := nacostest.Start(nacostest.Config{ClientBeatInterval: period})
	require.NoError(t, err)
	defer closeIdleHTTP()
	defer srv.Close()
	cli, err := newSDKClient(srv.Addr(), t.TempDir(), period)
	require.NoError(t, err)

	infos := []*reactor.BeatInfo{
		{ServiceName: "DEFAULT_GROUP@@orders", IP: "10.0.0.1", Port: 8080, Weight: 1},
		{ServiceName: "DEFAULT_GROUP@@orders", IP: "10.0.0.2", Port: 8080, Weight: 2.5,
			Metadata: map[string]string{"zone": "eu west", "version": "1.2.3"}},
		{ServiceName: "shop@@payments", IP: "10.0.0.3", Port: 9090, Cluster: "c1", Weight: 0.5,
			Metadata: map[string]string{"k": "v"}},
	}
	c0 := srv.Counters()
	registered := time.Now()
	for _, b := range infos {
		reg, _ := sdkParams(b)
		ok, err := cli.RegisterInstance(reg)
		require.NoError(t, err)
		require.True(t, ok)
	}

	// Every instance is known, healthy, as registered, and beaten again
	// after its registration: its first beat goes at once, the next a
	// period later.
	want := func(b *reactor.BeatInfo) nacostest.Instance {
		return nacostest.Instance{Namespace: "public", Service: b.ServiceName, Cluster: cmpOr(b.Cluster, "DEFAULT"),
			IP: b.IP, Port: b.Port, Weight: b.Weight, Healthy: true, Enabled: true, Ephemeral: true, Metadata: b.Metadata}
	}
	require.Eventually(t, func() bool {
		c := srv.Counters()
		if c.Beats-c0.Beats < uint64(2*len(infos)) {
			return false
		}
		for _, b := range infos {
			in, ok := srv.Instance("", b.ServiceName, b.Cluster, b.IP, b.Port)
			if !ok || !in.LastBeat.After(registered.Add(period)) {
				return false
			}
		}
		return true
	}, patience, 20*time.Millisecond, "every instance beaten twice")
	for _, b := range infos {
		in, ok := srv.Instance("", b.ServiceName, b.Cluster, b.IP, b.Port)
		require.True(t, ok)
		in.LastBeat = time.Time{}
		assert.Equal(t, want(b), in)
	}
	c := srv.Counters()
	assert.Equal(t, uint64(len(infos)), c.Registrations-c0.Registrations, "registered once each, never by beat")
	assert.Zero(t, c.NotFound-c0.NotFound)
	assert.Zero(t, c.LightBeats-c0.LightBeats, "the SDK sends full beats only")
	assert.Equal(t, len(infos), c.Healthy)
	assert.Zero(t, c.Unhealthy)

	// LastBeat keeps advancing.
	b := infos[1]
	in0, _ := srv.Instance("", b.ServiceName, b.Cluster, b.IP, b.Port)
	require.Eventually(t, func() bool {
		in, _ := srv.Instance("", b.ServiceName, b.Cluster, b.IP, b.Port)
		return in.LastBeat.After(in0.LastBeat)
	}, patience, 20*time.Millisecond)

	// Deregistration removes them, and the beats stop. The SDK checks an
	// instance's state before each beat, so a beat that passed the check
	// as DeregisterInstance ran still goes out, at most one per instance;
	// full, it registers the instance again if the server sees it after
	// the deregistration (the #1733 class of bug). A busy machine makes
	// that race likelier, not the count larger.
	cd := srv.Counters()
	for _, b := range infos {
		_, dereg := sdkParams(b)
		ok, err := cli.DeregisterInstance(dereg)
		require.NoError(t, err)
		require.True(t, ok)
	}
	c1 := srv.Counters()
	time.Sleep(3 * period)
	known := srv.Len()
	c2 := srv.Counters()
	assert.Equal(t, uint64(len(infos)), c2.Deregistrations-c0.Deregistrations)
	assert.LessOrEqual(t, c2.Beats-c1.Beats, uint64(len(infos)), "at most one beat each after deregistration")
	assert.LessOrEqual(t, known, int(c2.Registrations-cd.Registrations), "an instance known after deregistration was registered again by a late beat")
}

// patience bounds a test's wait for what a busy machine slows down; the
// wait ends as soon as the condition holds.
const patience = 30 * time.Second

// cmpOr returns s, or def when s is empty.
func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// closeIdleHTTP closes the idle connections of http.DefaultTransport,
// which the SDK uses for every request, so their goroutines end.
func closeIdleHTTP() {
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
}

// sdkWorkers is how many goroutines register (and deregister) instances
// through the SDK at once. The SDK's calls are synchronous.
const sdkWorkers = 32

// startNacosSDK keeps n instances of beatload's population alive through
// one nacos-sdk-go v1 naming client against the server at addr, which must
// answer clientBeatInterval = period (the SDK beats at the server's
// interval). It registers them sdkWorkers at a time and returns once all
// are registered, each then beating from its own goroutine. Its stop
// deregisters every instance (the only way to end a beat goroutine) and
// waits up to two periods for the beat goroutines to end.
func startNacosSDK(addr string, n int, period time.Duration, dir string) (*e2eLoad, error) {
	cli, err := newSDKClient(addr, dir, period)
	if err != nil {
		return nil, fmt.Errorf("nacos-sdk-go: %w", err)
	}
	infos := population(n, period)
	goroutines := runtime.NumGoroutine()
	registered := make([]bool, n)
	err = forEach(n, sdkWorkers, func(i int) error {
		reg, _ := sdkParams(infos[i])
		if _, err := cli.RegisterInstance(reg); err != nil {
			return fmt.Errorf("nacos-sdk-go: registering instance %d of %d: %w", i, n, err)
		}
		registered[i] = true
		return nil
	})
	stop := func() error {
		derr := forEach(n, sdkWorkers, func(i int) error {
			if !registered[i] {
				return nil
			}
			_, dereg := sdkParams(infos[i])
			if _, err := cli.DeregisterInstance(dereg); err != nil {
				return fmt.Errorf("nacos-sdk-go: deregistering instance %d of %d: %w", i, n, err)
			}
			return nil
		})
		// A beat goroutine ends when it wakes up: within a period, or a
		// request timeout when a beat is in flight.
		deadline := time.Now().Add(2*period + sdkTimeout)
		for runtime.NumGoroutine() > goroutines+16 && time.Now().Before(deadline) {
			closeIdleHTTP()
			time.Sleep(50 * time.Millisecond)
		}
		closeIdleHTTP()
		return derr
	}
	if err != nil {
		_ = stop()
		return nil, err
	}
	return &e2eLoad{stop: stop}, nil
}

// forEach calls fn(i) for every i in [0, n) from workers goroutines and
// returns the first error; after an error it starts no new call.
func forEach(n, workers int, fn func(i int) error) error {
	var (
		next   atomic.Int64
		failed atomic.Bool
		mu     sync.Mutex
		first  error
		wg     sync.WaitGroup
	)
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					failed.Store(true)
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// registerAll registers every instance through tr, workers at a time.
func registerAll(ctx context.Context, tr reactor.Transport, infos []*reactor.BeatInfo, workers int) error {
	return forEach(len(infos), workers, func(i int) error {
		if err := tr.Register(ctx, infos[i]); err != nil {
			return fmt.Errorf("registering instance %d of %d: %w", i, len(infos), err)
		}
		return nil
	})
}
