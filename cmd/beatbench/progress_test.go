package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/beatwheel/beatwheel/internal/measure"
)

func sampleTick() tick {
	return tick{elapsed: 3 * time.Second, added: 500, instances: 1000, reactor: true, inFlight: 7,
		stats:   measure.Stats{Elapsed: time.Second, Beats: 200, Lateness: &measure.Snapshot{}},
		failed:  failures{NotFound: 3, HTTP: 2, Timeout: 1},
		sendP99: 2 * time.Millisecond, rss: 64 << 20}
}

func TestPlainProgress(t *testing.T) {
	var buf bytes.Buffer
	pp := newProgress(&printer{w: &buf}, config{})
	pp.begin()
	pp.tick(sampleTick())
	pp.note("added %d", 5)
	pp.end()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	assert.Len(t, lines, 4)
	assert.Equal(t, "(* p99-send covers the whole run so far; the other columns the last second)", lines[0])
	assert.Regexp(t, `^\s+time\s+added\s+beats/s\s+failed/s\s+inflight\s+p99-send\*\s+p99-late`, lines[1])
	assert.Regexp(t, `^\s+3s\s+500\s+200\s+6\s+7\s+2ms\s+0s\s+.*20404:3,http:2,timeout:1$`, lines[2])
	assert.Equal(t, "added 5", lines[3])
	assert.NotContains(t, buf.String(), "\r")
}

func TestTTYProgress(t *testing.T) {
	var buf bytes.Buffer
	tp := &ttyProgress{p: &printer{w: &buf}}
	tp.begin()
	tp.tick(sampleTick())
	tp.tick(sampleTick())
	tp.note("added %d", 5)
	tp.tick(sampleTick())
	tp.end()
	s := buf.String()
	assert.Equal(t, 3, strings.Count(s, clearLine+"3s  500/1000 up  200 beats/s  failed/s 6 20404:3,http:2,timeout:1  in flight 7  p99 send (run) 2ms  p99 late 0s  CPU 0%  0 switches/s  RSS 64 MB"), s)
	assert.Contains(t, s, "timeout:1  in flight 7  p99 send (run) 2ms  p99 late 0s  CPU 0%  0 switches/s  RSS 64 MB"+clearLine+"3s", "rewritten in place")
	assert.Contains(t, s, "RSS 64 MB"+clearLine+"added 5\n", "a note clears the status line")
	assert.True(t, strings.HasSuffix(s, "RSS 64 MB\n"), "the last status line stays")
	assert.Equal(t, 2, strings.Count(s, "\n"))

	buf.Reset()
	narrow := &ttyProgress{p: &printer{w: &buf}, width: 20}
	narrow.tick(sampleTick())
	assert.Equal(t, clearLine+"3s  500/1000 up  20", buf.String(), "cut to fit: a wrapped line cannot be rewritten")
}

func TestIsTerminal(t *testing.T) {
	assert.False(t, isTerminal(&bytes.Buffer{}))
	f, err := os.CreateTemp(t.TempDir(), "out")
	assert.NoError(t, err)
	defer f.Close()
	assert.False(t, isTerminal(f), "a regular file is not a terminal")
}
