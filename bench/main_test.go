package bench

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no way of keeping beats alive leaves a goroutine
// behind once stopped.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
