package nacostest

import (
	"hash/maphash"
	"maps"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Instance is a snapshot of one instance the server knows.
type Instance struct {
	Namespace string // namespaceId, "public" by default
	Service   string // grouped name, "group@@name"
	Cluster   string // "DEFAULT" by default
	IP        string
	Port      int
	Weight    float64
	Healthy   bool
	Enabled   bool
	Ephemeral bool
	Metadata  map[string]string // nil when empty
	LastBeat  time.Time         // the last beat, or the registration
}

// instance is what the store keeps. Its identity lives in key (see
// appendKey) and is split out only off the hot path. Every field but key is
// guarded by the mutex of the instance's shard.
type instance struct {
	key       string
	weight    float64
	lastBeat  int64 // nanoseconds since Server start (monotonic)
	beatMs    int64 // preserved.heart.beat.interval, 0 if none
	metadata  map[string]string
	healthy   bool
	enabled   bool
	ephemeral bool
}

const (
	metaBeatInterval = "preserved.heart.beat.interval"
	keySep           = 0 // separates the parts of a key; rejected in parameters
)

// appendKey appends the store key of an instance:
// namespace NUL service NUL cluster NUL ip NUL port.
func appendKey(dst []byte, ns, service, cluster, ip []byte, port int) []byte {
	dst = append(dst, ns...)
	dst = append(dst, keySep)
	dst = append(dst, service...)
	dst = append(dst, keySep)
	return appendInstanceKey(dst, cluster, ip, port)
}

// appendInstanceKey appends the part of a key after the service.
func appendInstanceKey(dst, cluster, ip []byte, port int) []byte {
	dst = append(dst, cluster...)
	dst = append(dst, keySep)
	dst = append(dst, ip...)
	dst = append(dst, keySep)
	return strconv.AppendInt(dst, int64(port), 10)
}

// splitKey is the inverse of appendKey.
func splitKey(key string) (ns, service, cluster, ip string, port int) {
	ns, rest, _ := strings.Cut(key, "\x00")
	service, rest, _ = strings.Cut(rest, "\x00")
	cluster, rest, _ = strings.Cut(rest, "\x00")
	ip, rest, _ = strings.Cut(rest, "\x00")
	port, _ = strconv.Atoi(rest)
	return ns, service, cluster, ip, port
}

// snapshot returns the exported view of in; the caller holds its shard lock.
func (in *instance) snapshot(start time.Time) Instance {
	ns, svc, cluster, ip, port := splitKey(in.key)
	var md map[string]string
	if len(in.metadata) > 0 {
		md = maps.Clone(in.metadata)
	}
	return Instance{
		Namespace: ns, Service: svc, Cluster: cluster, IP: ip, Port: port,
		Weight: in.weight, Healthy: in.healthy, Enabled: in.enabled, Ephemeral: in.ephemeral,
		Metadata: md, LastBeat: start.Add(time.Duration(in.lastBeat)),
	}
}

// setMetadata sets the metadata and the beat interval it may carry.
func (in *instance) setMetadata(md map[string]string) {
	if len(md) == 0 {
		md = nil
	}
	in.metadata = md
	in.beatMs = 0
	if v, ok := md[metaBeatInterval]; ok {
		if ms, err := strconv.ParseInt(v, 10, 64); err == nil && ms > 0 {
			in.beatMs = ms
		}
	}
}

const shardCount = 256 // a power of two

// shard is one lock's worth of the store. The counts are written under mu
// and read without it.
type shard struct {
	mu        sync.Mutex
	m         map[string]*instance
	n         atomic.Int64 // len(m)
	healthy   atomic.Int64
	unhealthy atomic.Int64
	_         [64]byte // keep neighbouring shards' locks off this cache line
}

// store holds the instances in shardCount mutex shards picked by a hash of
// the key, so beats of different instances rarely meet on a lock.
type store struct {
	seed   maphash.Seed
	shards [shardCount]shard
}

func newStore() *store {
	s := &store{seed: maphash.MakeSeed()}
	for i := range s.shards {
		s.shards[i].m = make(map[string]*instance)
	}
	return s
}

func (s *store) shardFor(key []byte) *shard {
	return &s.shards[maphash.Bytes(s.seed, key)&(shardCount-1)]
}

// addLocked inserts in, which is not in sh.m yet.
func (sh *shard) addLocked(in *instance) {
	sh.m[in.key] = in
	sh.n.Add(1)
	if in.healthy {
		sh.healthy.Add(1)
	} else {
		sh.unhealthy.Add(1)
	}
}

// removeLocked deletes in, which is in sh.m.
func (sh *shard) removeLocked(in *instance) {
	delete(sh.m, in.key)
	sh.n.Add(-1)
	if in.healthy {
		sh.healthy.Add(-1)
	} else {
		sh.unhealthy.Add(-1)
	}
}

// setHealthyLocked sets in.healthy and keeps the counts.
func (sh *shard) setHealthyLocked(in *instance, healthy bool) {
	if in.healthy == healthy {
		return
	}
	in.healthy = healthy
	if healthy {
		sh.healthy.Add(1)
		sh.unhealthy.Add(-1)
	} else {
		sh.healthy.Add(-1)
		sh.unhealthy.Add(1)
	}
}

// sweep applies the health rules to ephemeral instances at time now
// (nanoseconds since start): unhealthy after unhealthyAfter without a beat,
// removed after removeAfter. It returns how many it marked and removed.
func (s *store) sweep(now, unhealthyAfter, removeAfter int64) (marked, removed int) {
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for _, in := range sh.m {
			if !in.ephemeral {
				continue
			}
			idle := now - in.lastBeat
			switch {
			case idle > removeAfter:
				sh.removeLocked(in)
				removed++
			case idle > unhealthyAfter && in.healthy:
				sh.setHealthyLocked(in, false)
				marked++
			}
		}
		sh.mu.Unlock()
	}
	return marked, removed
}

// reset forgets every instance.
func (s *store) reset() {
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		sh.m = make(map[string]*instance)
		sh.n.Store(0)
		sh.healthy.Store(0)
		sh.unhealthy.Store(0)
		sh.mu.Unlock()
	}
}

// counts returns the instances known, healthy and unhealthy.
func (s *store) counts() (n, healthy, unhealthy int) {
	for i := range s.shards {
		sh := &s.shards[i]
		n += int(sh.n.Load())
		healthy += int(sh.healthy.Load())
		unhealthy += int(sh.unhealthy.Load())
	}
	return n, healthy, unhealthy
}
