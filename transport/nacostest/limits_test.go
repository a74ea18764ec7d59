package nacostest

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/valyala/fasthttp"
)

// pipelineBeats writes n beats on one connection in one write and reads
// the answers until the connection ends. It returns how many answers came
// and which of them said "Connection: close".
func pipelineBeats(t *testing.T, addr string, n int) (answers int, closing []int) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.Write([]byte(strings.Repeat(string(rawBeat(1, false)), n)))
	require.NoError(t, err)
	// A safety net, not a bound: the server answers in microseconds.
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(30*time.Second)))
	br := bufio.NewReader(conn)
	var resp fasthttp.Response
	for answers < n {
		if err := resp.Read(br); err != nil {
			require.False(t, errors.Is(err, os.ErrDeadlineExceeded), "the server neither answered nor closed")
			break
		}
		answers++
		if resp.ConnectionClose() {
			closing = append(closing, answers)
		}
	}
	return answers, closing
}

// TestMaxRequestsPerConn: by default the server answers 100 requests on a
// connection, the 100th with "Connection: close", and drops those
// pipelined behind it, as Tomcat does.
func TestMaxRequestsPerConn(t *testing.T) {
	for _, tc := range []struct {
		name    string
		limit   int
		answers int
		closing []int
	}{
		{"default", 0, DefaultMaxRequestsPerConn, []int{DefaultMaxRequestsPerConn}},
		{"5", 5, 5, []int{5}},
		{"off", -1, 150, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t, Config{MaxRequestsPerConn: tc.limit})
			answers, closing := pipelineBeats(t, s.Addr(), 150)
			assert.Equal(t, tc.answers, answers)
			assert.Equal(t, tc.closing, closing)
			assert.EqualValues(t, tc.answers, s.Counters().Beats, "what was not answered was not processed")
		})
	}
}

// TestIdleTimeout: the server closes a connection that waits longer than
// IdleTimeout for its next request.
func TestIdleTimeout(t *testing.T) {
	for _, tc := range []struct {
		name   string
		idle   time.Duration
		closed bool
	}{
		{"20ms", 20 * time.Millisecond, true},
		{"off", -1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t, Config{IdleTimeout: tc.idle})
			conn, err := net.Dial("tcp", s.Addr())
			require.NoError(t, err)
			defer conn.Close()
			_, err = conn.Write(rawBeat(1, false))
			require.NoError(t, err)
			br := bufio.NewReader(conn)
			var resp fasthttp.Response
			require.NoError(t, resp.Read(br))
			assert.False(t, resp.ConnectionClose())
			wait := 30 * time.Second // a safety net: the server closes after 20 ms
			if !tc.closed {
				wait = 200 * time.Millisecond // 10x the timeout that is off
			}
			require.NoError(t, conn.SetReadDeadline(time.Now().Add(wait)))
			_, err = br.ReadByte()
			if tc.closed {
				assert.ErrorIs(t, err, io.EOF)
			} else {
				assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
			}
		})
	}
}

func TestConnLimitDefaults(t *testing.T) {
	cfg, err := Config{}.withDefaults()
	require.NoError(t, err)
	assert.Equal(t, 100, cfg.MaxRequestsPerConn)
	assert.Equal(t, 60*time.Second, cfg.IdleTimeout)
}
