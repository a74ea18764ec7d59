package main

import (
	"errors"
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

// jobShard is the i of "-shard job/n": take i from JOB_COMPLETION_INDEX,
// which Kubernetes sets in each pod of an Indexed Job.
const jobShard = "job"

// parseShard parses "i/n" with 0 <= i < n, or "job/n", which takes i from
// the JOB_COMPLETION_INDEX variable that lookup returns.
func parseShard(s string, lookup func(string) (string, bool)) (shard, error) {
	a, b, ok := strings.Cut(s, "/")
	if !ok {
		return shard{}, errors.New("want i/n, as in 0/4, or job/n")
	}
	if strings.TrimSpace(a) != jobShard {
		return shardOf(a, b)
	}
	v, set := lookup(envJobIndex)
	if !set {
		return shard{}, fmt.Errorf("job/n takes the shard index from $%s, which is not set (is this a pod of an Indexed Job?)", envJobIndex)
	}
	sh, err := shardOf(v, b)
	if err != nil {
		return shard{}, fmt.Errorf("$%s=%q: %w", envJobIndex, v, err)
	}
	return sh, nil
}

// shardOf parses index a and count b of a shard.
func shardOf(a, b string) (shard, error) {
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	switch {
	case err1 != nil || err2 != nil:
		return shard{}, errors.New("want i/n, as in 0/4, or job/n")
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
