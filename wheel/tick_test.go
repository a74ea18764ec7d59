package wheel

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTickReportsTheResolution(t *testing.T) {
	tests := []struct {
		name string
		tick time.Duration
		want time.Duration
	}{
		{"default", 0, DefaultTick},
		{"set", 250 * time.Millisecond, 250 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, err := New(Config{Manual: true, Tick: tc.tick}, func([]Expired) {})
			require.NoError(t, err)
			defer w.Stop()
			assert.Equal(t, tc.want, w.Tick())
		})
	}
}
