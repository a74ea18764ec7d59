package reactor

import (
	"errors"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
)

// FuzzKey: Key never panics, BeatInfo.Key agrees with it, and for an
// instance that Validate accepts the key splits back, from the right, into
// service, ip and port (an IP never holds '#'; a service name may).
func FuzzKey(f *testing.F) {
	f.Add("DEFAULT_GROUP@@orders", "10.0.0.1", 8080)
	f.Add("orders", "2001:db8::1", 1)
	f.Add("a#b@@c#d", "::ffff:10.0.0.1", 65535)
	f.Add("", "", 0)
	f.Add("svc", "10.0.0.1", -1)
	f.Add("svc", "10.0.0.1", math.MinInt)
	f.Fuzz(func(t *testing.T, service, ip string, port int) {
		key := Key(service, ip, port)
		b := &BeatInfo{ServiceName: service, IP: ip, Port: port, Weight: 1}
		if b.Key() != key {
			t.Fatalf("BeatInfo.Key %q != Key %q", b.Key(), key)
		}
		if want := service + "#" + ip + "#" + strconv.Itoa(port); key != want {
			t.Fatalf("Key = %q, want %q", key, want)
		}
		if b.Validate() != nil {
			return
		}
		i := strings.LastIndexByte(key, '#')
		j := strings.LastIndexByte(key[:i], '#')
		if j < 0 {
			t.Fatalf("key %q has one '#'", key)
		}
		gotPort, err := strconv.Atoi(key[i+1:])
		if key[:j] != service || key[j+1:i] != ip || err != nil || gotPort != port {
			t.Fatalf("key %q splits into %q %q %q, want %q %q %d", key, key[:j], key[j+1:i], key[i+1:], service, ip, port)
		}
	})
}

// FuzzValidate: Validate never panics; what it accepts satisfies the
// documented rules (and only Period changes, to DefaultPeriod when 0); what
// it rejects wraps the sentinel of a rule the value breaks, and is left as
// it was.
func FuzzValidate(f *testing.F) {
	f.Add("DEFAULT_GROUP@@orders", "10.0.0.1", 8080, 1.0, int64(0))
	f.Add("orders", "2001:db8::1", 65535, 0.0, int64(MinPeriod))
	f.Add("@@orders", "10.0.0.1", 8080, 1.0, int64(0))
	f.Add("g@@", "fe80::1%eth0", 0, math.NaN(), int64(-1))
	f.Add("a@@b@@c", "1.2.3", 65536, math.Inf(1), int64(MaxPeriod+1))
	f.Add("s", "::ffff:1.2.3.4", 1, -0.0, int64(MaxPeriod))
	f.Fuzz(func(t *testing.T, service, ip string, port int, weight float64, period int64) {
		b := &BeatInfo{ServiceName: service, IP: ip, Port: port, Weight: weight, Period: time.Duration(period)}
		err := b.Validate()
		addr, ipErr := netip.ParseAddr(ip)
		rules := map[error]bool{ // sentinel -> its rule is broken
			ErrServiceName: service == "" || strings.HasPrefix(service, GroupSeparator) || strings.HasSuffix(service, GroupSeparator) ||
				strings.IndexFunc(service, func(r rune) bool { return !nacosNameRune(r, "@.:_-") }) >= 0,
			ErrIP:     ipErr != nil || addr.Zone() != "",
			ErrPort:   port < 1 || port > 65535,
			ErrWeight: weight < 0 || math.IsNaN(weight) || math.IsInf(weight, 0),
			ErrPeriod: period != 0 && (time.Duration(period) < MinPeriod || time.Duration(period) > MaxPeriod),
		}
		if err == nil {
			for s, broken := range rules {
				if broken {
					t.Fatalf("accepted %+v, which breaks the rule of %v", b, s)
				}
			}
			want := time.Duration(period)
			if want == 0 {
				want = DefaultPeriod
			}
			if b.Period != want || b.ServiceName != service || b.IP != ip || b.Port != port {
				t.Fatalf("Validate changed more than the default period: %+v", b)
			}
			return
		}
		matched := 0
		for s, broken := range rules {
			if errors.Is(err, s) {
				matched++
				if !broken {
					t.Fatalf("error %v names a rule %+v does not break", err, b)
				}
			}
		}
		if matched != 1 {
			t.Fatalf("error %v wraps %d sentinels", err, matched)
		}
		if b.Period != time.Duration(period) {
			t.Fatalf("a rejected BeatInfo changed: %+v", b)
		}
	})
}

// nacosNameRune is the fuzz test's own reading of Nacos' name syntax: an
// ASCII letter or digit, or one of extra.
func nacosNameRune(r rune, extra string) bool {
	return r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(extra, r))
}
