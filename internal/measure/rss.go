package measure

import (
	"bytes"
	"os"
	"strconv"
)

// RSS returns the process's resident set size in bytes, read from
// /proc/self/statm, or 0 where that cannot be read (not Linux). It
// allocates a little: read it once a second, not once a beat.
func RSS() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := bytes.Fields(b)
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseUint(string(f[1]), 10, 64)
	if err != nil {
		return 0
	}
	return pages * uint64(os.Getpagesize())
}
