package reactor

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/beatwheel/beatwheel/wheel"
)

// Limits on BeatInfo.Period.
const (
	// DefaultPeriod is the Nacos default beat period, used when Period is 0.
	DefaultPeriod = 5 * time.Second
	// DefaultWeight is the weight of an instance whose Weight is 0: 1.0,
	// the default of Nacos' Instance.
	DefaultWeight = 1.0
	// MinPeriod and MaxPeriod bound BeatInfo.Period. Nacos marks an
	// instance unhealthy after 15 s without a beat, so a period above a
	// minute keeps nothing alive; one below 10 ms is a mistake.
	MinPeriod = 10 * time.Millisecond
	MaxPeriod = time.Minute
)

// GroupSeparator joins a group and a service name into a grouped service
// name, as Nacos does: "DEFAULT_GROUP@@orders".
const GroupSeparator = "@@"

// BeatInfo is one instance kept alive by a Reactor: the Nacos client's
// BeatInfo. Fill the exported fields, hand it to Reactor.Add, and do not
// change it afterwards: the Reactor and its Transport read it from other
// goroutines.
type BeatInfo struct {
	// ServiceName is the grouped service name, "group@@name". A name with
	// no group is sent as it is (Nacos puts it in DEFAULT_GROUP). Nacos
	// accepts the characters 0-9 a-z A-Z @ . : _ - in it.
	ServiceName string
	// IP is the instance's IPv4 or IPv6 address.
	IP string
	// Port is the instance's port, 1 to 65535.
	Port int
	// Cluster is the instance's cluster; empty means Nacos' DEFAULT.
	// Nacos accepts the characters 0-9 a-z A-Z - in it.
	Cluster string
	// Weight is the instance's weight for weighted load balancing. 0, the
	// zero value, means DefaultWeight (1.0), as in Nacos' Instance:
	// Validate sets it, so a BeatInfo built without a Weight registers an
	// instance that takes its share of traffic. Nacos sends no traffic to
	// an instance of weight 0, and a Go zero value cannot say "0 on
	// purpose": to take an instance almost out of rotation give it a tiny
	// weight such as 0.01, or Deregister it.
	Weight float64
	// Metadata is the instance's metadata; nil is fine.
	Metadata map[string]string
	// Period is how often to beat; 0 means DefaultPeriod. The server's
	// clientBeatInterval replaces it once the server answers.
	Period time.Duration
	// Scheduled mirrors the Nacos BeatInfo field of that name; it is sent
	// in full beats and otherwise unused.
	Scheduled bool

	// The Reactor's state, 12 bytes, so that a BeatInfo is 96 bytes, a
	// size class of its own. Firing a beat does not touch it: the period
	// travels in the scheduler entry, the owner in the Reactor's slots.
	// The per-instance beat state (full beats after a 20404, failing,
	// a skipped beat) lives in flag bits, so it costs no byte more.
	flags    atomic.Uint32 // the flag* bits below
	timerIdx uint32        // its scheduler entry's wheel.Timer: Index
	timerGen uint32        // and Generation
}

// BeatInfo flags.
const (
	flagStopped uint32 = 1 << iota // the Reactor stopped beating for it
	flagAdded                      // handed to Add: a BeatInfo is added once
	flagRereg                      // a re-registration is queued
	// flagNotFound: the server answered 20404 and has accepted no beat
	// since. Its beats are full (they carry the instance, so Nacos 1.4
	// registers it again), whatever the server's light-beat permission.
	flagNotFound
	// flagFailing: its last beat got no answer, or a code other than
	// 10200 and 20404. Its beats are full too: a server that did not
	// answer may have restarted and forgotten it, and a full beat
	// registers it again where a light one would only learn that.
	flagFailing
	// flagSkipped: the Handler skipped its last beat as too late; the next
	// one is sent however late, so a beat is never skipped twice in a row.
	flagSkipped
)

// timer returns b's scheduler entry.
func (b *BeatInfo) timer() wheel.Timer {
	return wheel.Timer(uint64(b.timerGen)<<32 | uint64(b.timerIdx))
}

// setFlag sets f and reports whether it was set already.
func (b *BeatInfo) setFlag(f uint32) bool { return b.flags.Or(f)&f != 0 }

// clearFlag clears f.
func (b *BeatInfo) clearFlag(f uint32) { b.flags.And(^f) }

// Stopped reports whether the Reactor stopped beating for b: it was
// removed, replaced by an Add of the same key, or the Reactor closed.
func (b *BeatInfo) Stopped() bool { return b.flags.Load()&flagStopped != 0 }

// Failing reports whether b's last beat was not accepted: it got no
// answer, code 20404, or another code than 10200. Config.Observer says
// since when.
func (b *BeatInfo) Failing() bool { return b.flags.Load()&(flagFailing|flagNotFound) != 0 }

// Validate checks b and fills the defaults of its zero fields: Period
// (DefaultPeriod) and Weight (DefaultWeight). Its errors wrap the package's
// sentinel errors. Reactor.Add and Register call it, and so does a
// Transport before it registers b, so both paths send the same weight.
func (b *BeatInfo) Validate() error {
	switch {
	case b == nil:
		return ErrNilBeat
	case b.ServiceName == "" || strings.HasPrefix(b.ServiceName, GroupSeparator) ||
		strings.HasSuffix(b.ServiceName, GroupSeparator) || !onlyBytes(b.ServiceName, serviceNameBytes):
		return fmt.Errorf("%w: %q", ErrServiceName, b.ServiceName)
	case !onlyBytes(b.Cluster, clusterNameBytes):
		return fmt.Errorf("%w: %q", ErrCluster, b.Cluster)
	case b.Port < 1 || b.Port > 65535:
		return fmt.Errorf("%w: %d", ErrPort, b.Port)
	case b.Weight < 0 || math.IsNaN(b.Weight) || math.IsInf(b.Weight, 0):
		return fmt.Errorf("%w: %v", ErrWeight, b.Weight)
	case b.Period != 0 && (b.Period < MinPeriod || b.Period > MaxPeriod):
		return fmt.Errorf("%w: %v is outside [%v, %v]", ErrPeriod, b.Period, MinPeriod, MaxPeriod)
	}
	if a, err := netip.ParseAddr(b.IP); err != nil || a.Zone() != "" {
		return fmt.Errorf("%w: %q", ErrIP, b.IP)
	}
	if b.Period == 0 {
		b.Period = DefaultPeriod
	}
	if b.Weight == 0 {
		b.Weight = DefaultWeight
	}
	return nil
}

// The characters Nacos 1.x accepts in names: a service name must match
// [0-9a-zA-Z@.:_-]+ and a cluster name [0-9a-zA-Z-]+ (the server's
// Service.validate and Cluster.validate); anything else is refused when the
// instance is registered, and the instance would then never stay alive.
const (
	serviceNameBytes = "@.:_-"
	clusterNameBytes = "-"
)

// onlyBytes reports whether every byte of s is an ASCII letter or digit or
// one of extra.
func onlyBytes(s, extra string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || strings.IndexByte(extra, c) >= 0) {
			return false
		}
	}
	return true
}

// Key returns the key of an instance, "service#ip#port", as the Nacos
// client builds it, without fmt. The Reactor keeps no key strings (see
// instances); Key names an instance in errors.
func Key(service, ip string, port int) string {
	var buf keyBuf
	return string(appendKey(buf[:0], service, ip, port))
}

// appendKey appends Key(service, ip, port) to dst.
func appendKey(dst []byte, service, ip string, port int) []byte {
	dst = append(dst, service...)
	dst = append(dst, '#')
	dst = append(dst, ip...)
	dst = append(dst, '#')
	return strconv.AppendInt(dst, int64(port), 10)
}

// Key returns b's key.
func (b *BeatInfo) Key() string { return Key(b.ServiceName, b.IP, b.Port) }

// is reports whether b is the instance of service, ip and port.
func (b *BeatInfo) is(service, ip string, port int) bool {
	return b.Port == port && b.IP == ip && b.ServiceName == service
}
