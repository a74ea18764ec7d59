package beatload

import (
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/beatwheel/beatwheel/reactor"
)

// TestAppendInstances: the instances AppendInstances builds equal
// Instance's for the same population indices, and their IPs lie side by
// side in one string.
func TestAppendInstances(t *testing.T) {
	services := Services(7)
	tests := []struct {
		name    string
		cfg     Config
		lo, hi  int
		wantIPs []string
	}{
		{"first ones", Config{Period: time.Second}, 0, 3, []string{"10.0.0.0", "10.0.0.1", "10.0.0.2"}},
		{"across digit counts", Config{Period: time.Second}, 9, 12, []string{"10.0.0.9", "10.0.0.10", "10.0.0.11"}},
		{"a shard", Config{Period: 2 * time.Second, First: 1, Stride: 100}, 2, 5, []string{"10.0.0.201", "10.0.1.45", "10.0.1.145"}},
		{"past 2^24", Config{Period: time.Second, First: 1<<24 + 258}, 0, 2, []string{"10.0.1.2", "10.0.1.3"}},
		{"top of the range", Config{Period: time.Second, First: 1<<24 - 1}, 0, 1, []string{"10.255.255.255"}},
		{"none", Config{Period: time.Second}, 4, 4, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := Instance(99, services, time.Second)
			got := tt.cfg.AppendInstances([]*reactor.BeatInfo{prefix}, tt.lo, tt.hi, services)
			require.Len(t, got, 1+tt.hi-tt.lo)
			assert.Same(t, prefix, got[0], "appends")
			var ips []string
			for j, b := range got[1:] {
				want := Instance(tt.cfg.Instance(tt.lo+j), services, tt.cfg.Period)
				assert.Equal(t, want, b)
				ips = append(ips, b.IP)
				if j > 0 {
					prev := got[j].IP
					assert.Equal(t, unsafe.Add(unsafe.Pointer(unsafe.StringData(prev)), len(prev)), unsafe.Pointer(unsafe.StringData(b.IP)), "IP %d follows the one before", j)
				}
			}
			assert.Equal(t, tt.wantIPs, ips)
		})
	}
}

// TestAppendInstancesAllocates one object per instance, and two per call.
func TestAppendInstancesAllocates(t *testing.T) {
	services := Services(3)
	cfg := Config{Period: time.Second}
	dst := make([]*reactor.BeatInfo, 0, 100)
	allocs := testing.AllocsPerRun(20, func() { dst = cfg.AppendInstances(dst[:0], 1000, 1100, services) })
	assert.Equal(t, float64(100+2), allocs)
}
