package reactor

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
)

// TestSizes guards the memory budget: a BeatInfo fills the 96-byte size
// class and a slot is 8 bytes. A field added to either must pay its way.
func TestSizes(t *testing.T) {
	assert.Equal(t, uintptr(96), unsafe.Sizeof(BeatInfo{}))
	assert.Equal(t, uintptr(8), unsafe.Sizeof(slot{}))
}
