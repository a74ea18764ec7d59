package main

import (
	"fmt"
	"strconv"
	"strings"
)

// shard is the slice of the instance space one run keeps alive, so that
// several machines can load one registry without two of them beating the
// same instance: shard i of n runs instances i, i+n, i+2n, ... below
// -instances. Strided rather than blocks, so every shard's size is within
// one of the others' and a shard's instances spread over the IP space as
// the whole population does.
type shard struct {
	index, count int
}

// noShard is the whole instance space.
var noShard = shard{index: 0, count: 1}

// parseShard parses "i/n" with 0 <= i < n.
func parseShard(s string) (shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	switch {
	case !ok || err1 != nil || err2 != nil:
		return shard{}, fmt.Errorf("want i/n, as in 0/4")
	case n < 1 || i < 0 || i >= n:
		return shard{}, fmt.Errorf("want 0 <= i < n, as in 0/%d ... %d/%d", max(n, 2), max(n, 2)-1, max(n, 2))
	}
	return shard{index: i, count: n}, nil
}

// String returns "i/n".
func (s shard) String() string { return strconv.Itoa(s.index) + "/" + strconv.Itoa(s.count) }

// size returns the number of the shard's instances among total.
func (s shard) size(total int) int {
	if total <= s.index {
		return 0
	}
	return (total-s.index-1)/s.count + 1
}
