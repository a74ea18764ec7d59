package reactor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
)

// notTimeout is an error whose Timeout method says it is none.
type notTimeout struct{}

func (notTimeout) Error() string { return "no timeout" }
func (notTimeout) Timeout() bool { return false }

func TestBeatResultKind(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	tests := []struct {
		name string
		res  BeatResult
		want FailureKind
	}{
		{"accepted", BeatResult{Code: CodeOK}, KindNone},
		{"not found", BeatResult{Code: CodeNotFound}, KindNotFound},
		{"another code", BeatResult{Code: 500}, KindCode},
		{"deadline", BeatResult{Err: context.DeadlineExceeded}, KindTimeout},
		{"wrapped deadline", BeatResult{Err: fmt.Errorf("read: %w", context.DeadlineExceeded)}, KindTimeout},
		{"an error that says timeout", BeatResult{Err: fmt.Errorf("x: %w", timeoutErr{})}, KindTimeout},
		{"an error that says no timeout", BeatResult{Err: notTimeout{}}, KindTransport},
		{"refused connection", BeatResult{Err: refused}, KindTransport},
		{"cancelled", BeatResult{Err: context.Canceled}, KindTransport},
		{"an error with a code", BeatResult{Err: errors.New("HTTP 500"), Code: CodeOK}, KindTransport},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.res.Kind())
		})
	}
}
