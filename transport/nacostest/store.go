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
	hash      uint64 // of key, the store's index (see shard)
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
//
// m indexes instances by their key's 64-bit hash, not by the key: a lookup
// hashes the key once (the hash picks the shard too), and the map's
// growth and probes touch 8-byte keys rather than each instance's key
// string in cold memory, which cost a server registering a million
// instances a sixth of its CPU. A key whose hash another key already holds
// in m goes to spill, a map by key, empty but for such collisions.
type shard struct {
	mu        sync.Mutex
	m         map[uint64]*instance
	spill     map[string]*instance
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
		s.shards[i].m = make(map[uint64]*instance)
	}
	return s
}

// locate returns the shard of key and key's hash, for getLocked and
// addLocked.
func (s *store) locate(key []byte) (*shard, uint64) {
	h := maphash.Bytes(s.seed, key)
	return &s.shards[h&(shardCount-1)], h
}

// getLocked returns the instance with key, whose hash is h, or nil.
func (sh *shard) getLocked(h uint64, key []byte) *instance {
	if in := sh.m[h]; in != nil && in.key == string(key) {
		return in
	}
	if len(sh.spill) == 0 {
		return nil
	}
	return sh.spill[string(key)]
}

// eachLocked calls fn for every instance of the shard; fn may remove the
// instance it is given.
func (sh *shard) eachLocked(fn func(in *instance)) {
	for _, in := range sh.m {
		fn(in)
	}
	for _, in := range sh.spill {
		fn(in)
	}
}

// addLocked inserts in, which is not in the shard yet; in.hash is set.
func (sh *shard) addLocked(in *instance) {
	if _, taken := sh.m[in.hash]; !taken {
		sh.m[in.hash] = in
	} else {
		if sh.spill == nil {
			sh.spill = make(map[string]*instance)
		}
		sh.spill[in.key] = in
	}
	sh.n.Add(1)
	if in.healthy {
		sh.healthy.Add(1)
	} else {
		sh.unhealthy.Add(1)
	}
}

// removeLocked deletes in, which is in the shard.
func (sh *shard) removeLocked(in *instance) {
	if sh.m[in.hash] == in {
		delete(sh.m, in.hash)
	} else {
		delete(sh.spill, in.key)
	}
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
		sh.eachLocked(func(in *instance) {
			if !in.ephemeral {
				return
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
		})
		sh.mu.Unlock()
	}
	return marked, removed
}

// reset forgets every instance.
func (s *store) reset() {
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		sh.m = make(map[uint64]*instance)
		sh.spill = nil
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
