package reactor

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidate(t *testing.T) {
	valid := func() *BeatInfo {
		return &BeatInfo{ServiceName: "DEFAULT_GROUP@@orders", IP: "10.0.0.1", Port: 8080, Weight: 1}
	}
	tests := []struct {
		name   string
		change func(*BeatInfo)
		want   error
	}{
		{"valid", func(*BeatInfo) {}, nil},
		{"ungrouped name", func(b *BeatInfo) { b.ServiceName = "orders" }, nil},
		{"IPv6", func(b *BeatInfo) { b.IP = "2001:db8::1" }, nil},
		{"port 65535", func(b *BeatInfo) { b.Port = 65535 }, nil},
		{"zero weight", func(b *BeatInfo) { b.Weight = 0 }, nil},
		{"small weight", func(b *BeatInfo) { b.Weight = 0.01 }, nil},
		{"shortest period", func(b *BeatInfo) { b.Period = MinPeriod }, nil},
		{"longest period", func(b *BeatInfo) { b.Period = MaxPeriod }, nil},
		{"empty service", func(b *BeatInfo) { b.ServiceName = "" }, ErrServiceName},
		{"empty group", func(b *BeatInfo) { b.ServiceName = "@@orders" }, ErrServiceName},
		{"empty name in group", func(b *BeatInfo) { b.ServiceName = "DEFAULT_GROUP@@" }, ErrServiceName},
		{"every character Nacos takes", func(b *BeatInfo) { b.ServiceName = "g-1_x@@a.b:c-D_9" }, nil},
		{"space in service", func(b *BeatInfo) { b.ServiceName = "my orders" }, ErrServiceName},
		{"slash in service", func(b *BeatInfo) { b.ServiceName = "g@@a/b" }, ErrServiceName},
		{"control character in service", func(b *BeatInfo) { b.ServiceName = "orders\x00" }, ErrServiceName},
		{"non-ASCII service", func(b *BeatInfo) { b.ServiceName = "commandes-é" }, ErrServiceName},
		{"cluster", func(b *BeatInfo) { b.Cluster = "shanghai-1A" }, nil},
		{"underscore in cluster", func(b *BeatInfo) { b.Cluster = "dc_1" }, ErrCluster},
		{"dot in cluster", func(b *BeatInfo) { b.Cluster = "dc.1" }, ErrCluster},
		{"empty IP", func(b *BeatInfo) { b.IP = "" }, ErrIP},
		{"hostname", func(b *BeatInfo) { b.IP = "db.local" }, ErrIP},
		{"short IPv4", func(b *BeatInfo) { b.IP = "10.0.1" }, ErrIP},
		{"IPv6 zone", func(b *BeatInfo) { b.IP = "fe80::1%eth0" }, ErrIP},
		{"port 0", func(b *BeatInfo) { b.Port = 0 }, ErrPort},
		{"port 65536", func(b *BeatInfo) { b.Port = 65536 }, ErrPort},
		{"negative port", func(b *BeatInfo) { b.Port = -1 }, ErrPort},
		{"negative weight", func(b *BeatInfo) { b.Weight = -1 }, ErrWeight},
		{"NaN weight", func(b *BeatInfo) { b.Weight = math.NaN() }, ErrWeight},
		{"infinite weight", func(b *BeatInfo) { b.Weight = math.Inf(1) }, ErrWeight},
		{"negative period", func(b *BeatInfo) { b.Period = -time.Second }, ErrPeriod},
		{"period too short", func(b *BeatInfo) { b.Period = MinPeriod - 1 }, ErrPeriod},
		{"period absurd", func(b *BeatInfo) { b.Period = 24 * time.Hour }, ErrPeriod},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := valid()
			tc.change(b)
			err := b.Validate()
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.want)
		})
	}
	assert.ErrorIs(t, (*BeatInfo)(nil).Validate(), ErrNilBeat)

	b := valid()
	require.NoError(t, b.Validate())
	assert.Equal(t, DefaultPeriod, b.Period, "zero period takes the Nacos default")

	// Weights: 0 (left unset) becomes Nacos' default; others stay.
	for _, w := range []struct{ in, want float64 }{{0, DefaultWeight}, {0.01, 0.01}, {1, 1}, {250, 250}} {
		b := valid()
		b.Weight = w.in
		require.NoError(t, b.Validate())
		assert.Equal(t, w.want, b.Weight, "weight %v", w.in)
	}
	unset := &BeatInfo{ServiceName: "orders", IP: "10.0.0.1", Port: 8080}
	require.NoError(t, unset.Validate())
	assert.Equal(t, 1.0, unset.Weight, "a BeatInfo built without Weight takes traffic")
}

func TestKey(t *testing.T) {
	tests := []struct {
		service, ip string
		port        int
		want        string
	}{
		{"DEFAULT_GROUP@@orders", "10.0.0.1", 8080, "DEFAULT_GROUP@@orders#10.0.0.1#8080"},
		{"orders", "2001:db8::1", 1, "orders#2001:db8::1#1"},
		{"g@@s", "127.0.0.1", 65535, "g@@s#127.0.0.1#65535"},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, Key(tc.service, tc.ip, tc.port))
		b := &BeatInfo{ServiceName: tc.service, IP: tc.ip, Port: tc.port}
		assert.Equal(t, tc.want, b.Key())
	}
	assert.Equal(t, 1.0, testing.AllocsPerRun(100, func() { _ = Key("DEFAULT_GROUP@@orders", "10.0.0.1", 8080) }),
		"the key string is the only allocation")
}

func TestJitterSpreadsFirstBeats(t *testing.T) {
	const n, period, buckets = 10000, 5 * time.Second, 10
	var counts [buckets]int
	for j := range n {
		b := instance(j%1000, j)
		d := jitter(b.Key(), b.Period)
		require.GreaterOrEqual(t, d, time.Duration(0))
		require.Less(t, d, period)
		counts[d*buckets/period]++
	}
	for i, c := range counts {
		assert.InDelta(t, n/buckets, c, n/buckets/5, "bucket %d of the first period", i)
	}
}
