package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/beatwheel/beatwheel/internal/beatload"
)

func TestParseShard(t *testing.T) {
	tests := []struct {
		in      string
		env     string // JOB_COMPLETION_INDEX; "": not set
		want    shard
		wantErr string
	}{
		{in: "0/1", want: noShard},
		{in: "2/3", want: shard{index: 2, count: 3}},
		{in: " 0 / 16 ", want: shard{index: 0, count: 16}},
		{in: "3/3", wantErr: "want 0 <= i < n"},
		{in: "1/0", wantErr: "want 0 <= i < n"},
		{in: "-1/4", wantErr: "want 0 <= i < n"},
		{in: "1", wantErr: "want i/n"},
		{in: "1/2/3", wantErr: "want i/n"},
		{in: "", wantErr: "want i/n"},
		{in: "job/4", env: "2", want: shard{index: 2, count: 4}},
		{in: " job / 4", env: " 0 ", want: shard{index: 0, count: 4}},
		{in: "job/4", env: "4", wantErr: `$JOB_COMPLETION_INDEX="4": want 0 <= i < n`},
		{in: "job/4", env: "-1", wantErr: `$JOB_COMPLETION_INDEX="-1": want 0 <= i < n`},
		{in: "job/4", env: "job", wantErr: `$JOB_COMPLETION_INDEX="job": want i/n`},
		{in: "job/x", env: "1", wantErr: "want i/n"},
		{in: "job/4", wantErr: "$JOB_COMPLETION_INDEX, which is not set"},
		{in: "1/4", env: "3", want: shard{index: 1, count: 4}},
	}
	for _, tc := range tests {
		t.Run(tc.in+"|"+tc.env, func(t *testing.T) {
			lookup := func(k string) (string, bool) {
				require.Equal(t, envJobIndex, k)
				return tc.env, tc.env != ""
			}
			got, err := parseShard(tc.in, lookup)
			if tc.wantErr != "" {
				assert.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, fmt.Sprintf("%d/%d", tc.want.index, tc.want.count), got.String())
		})
	}
}

// TestShardsPartition: the shards of a run are disjoint and together are
// the whole instance space, by index and by the keys the server sees.
func TestShardsPartition(t *testing.T) {
	services := beatload.Services(7)
	for _, tc := range []struct{ total, n int }{{10, 1}, {10, 3}, {1000, 4}, {5, 5}, {1001, 16}} {
		t.Run(fmt.Sprintf("%d/%d", tc.total, tc.n), func(t *testing.T) {
			owner := map[string]int{} // key -> shard
			sizes := 0
			for i := range tc.n {
				s := shard{index: i, count: tc.n}
				n := s.size(tc.total)
				assert.InDelta(t, float64(tc.total)/float64(tc.n), n, 1, "shard sizes differ by at most one")
				sizes += n
				lc := loadConfig(config{instances: tc.total, services: len(services), shard: s}, nil)
				require.Equal(t, n, lc.Instances)
				for k := range n {
					g := lc.Instance(k)
					require.Less(t, g, tc.total)
					key := beatload.Instance(g, services, time.Second).Key()
					prev, dup := owner[key]
					require.False(t, dup, "instance %d (%s) is in shard %d and %d", g, key, prev, i)
					owner[key] = i
				}
			}
			assert.Equal(t, tc.total, sizes)
			for g := range tc.total {
				assert.Contains(t, owner, beatload.Instance(g, services, time.Second).Key(), "instance %d in no shard", g)
			}
		})
	}
	assert.Zero(t, shard{index: 3, count: 4}.size(3), "a shard past the end is empty")
}
