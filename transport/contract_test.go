package transport_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/beatwheel/beatwheel/reactor"
	"github.com/beatwheel/beatwheel/reactor/transporttest"
	"github.com/beatwheel/beatwheel/transport"
)

// TestContract holds the Client, in each mode, to reactor.Transport's
// contract.
func TestContract(t *testing.T) {
	for _, mode := range []transport.Mode{transport.ModeHostClient, transport.ModePipeline} {
		t.Run(mode.String(), func(t *testing.T) {
			transporttest.Run(t, transporttest.Config{New: func(t *testing.T, addr string) reactor.Transport {
				c, err := transport.New(transport.Config{Servers: []string{addr}, Mode: mode})
				require.NoError(t, err)
				t.Cleanup(func() { require.NoError(t, c.Close()) })
				return c
			}})
		})
	}
}
