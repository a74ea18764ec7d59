package reactor

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRegisterThenBeat: Register registers before the first beat, with
// the defaults filled in, and the instance then beats every period.
func TestRegisterThenBeat(t *testing.T) {
	h := newHarness(t, Config{})
	b := instance(1, 1)
	b.Weight = 0 // left unset: Nacos' default
	h.f.onRegister = func(got *BeatInfo) {
		_, beating := h.r.Get(got.ServiceName, got.IP, got.Port)
		assert.False(t, beating, "registered before it beats")
	}
	require.NoError(t, h.r.Register(context.Background(), b))
	require.Equal(t, 1, h.f.registered())
	assert.Same(t, b, h.f.registers[0])
	assert.Equal(t, DefaultWeight, b.Weight, "weight 0 is registered as 1.0")
	got, ok := h.r.Get(b.ServiceName, b.IP, b.Port)
	require.True(t, ok)
	assert.Same(t, b, got)
	first := firstDue(b)
	h.advance(first, 1)
	h.advance(first+b.Period, 2)
}

// TestRegisterAddsNothingOnFailure: whatever makes Register fail, the
// Reactor holds nothing afterwards and the error says why.
func TestRegisterAddsNothingOnFailure(t *testing.T) {
	refused := errors.New("HTTP 503")
	tests := []struct {
		name      string
		prepare   func(h *harness, b *BeatInfo)
		want      []error
		registers int // calls to Transport.Register
		undone    int // calls to Transport.Deregister
	}{
		{"registry refuses", func(h *harness, _ *BeatInfo) { h.f.registerErr = refused },
			[]error{ErrRegister, refused}, 1, 0},
		{"invalid instance", func(_ *harness, b *BeatInfo) { b.IP = "db.local" }, []error{ErrIP}, 0, 0},
		{"closed reactor", func(h *harness, _ *BeatInfo) { require.NoError(t, h.r.Close(context.Background())) },
			[]error{ErrClosed}, 0, 0},
		{"closed while registering", func(h *harness, _ *BeatInfo) {
			h.f.onRegister = func(*BeatInfo) { assert.NoError(t, h.r.Close(context.Background())) }
		}, []error{ErrClosed}, 1, 1},
		{"closed while registering, undo fails", func(h *harness, _ *BeatInfo) {
			h.f.onRegister = func(*BeatInfo) { assert.NoError(t, h.r.Close(context.Background())) }
			h.f.deregisterErr = refused
		}, []error{ErrClosed, ErrDeregister, refused}, 1, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Config{})
			b := instance(1, 1)
			tc.prepare(h, b)
			err := h.r.Register(context.Background(), b)
			for _, want := range tc.want {
				require.ErrorIs(t, err, want)
			}
			assert.Equal(t, tc.registers, h.f.registered())
			assert.Equal(t, tc.undone, h.f.deregistered(), "a registration that was not kept is undone")
			assert.Zero(t, h.r.Len())
			assert.Zero(t, h.w.Pending(), "no beat scheduled")
			assert.Zero(t, b.flags.Load()&flagAdded, "b may be used again")
		})
	}
}

func TestRegisterTwiceIsInUse(t *testing.T) {
	h := newHarness(t, Config{})
	b := instance(1, 1)
	require.NoError(t, h.r.Register(context.Background(), b))
	require.ErrorIs(t, h.r.Register(context.Background(), b), ErrInUse)
	assert.Equal(t, 1, h.f.registered(), "the second Register sent nothing")
	assert.Equal(t, 1, h.r.Len())
}

// TestDeregisterStopsThenDeregisters: by the time the Transport deregisters
// the instance, it no longer beats and the Reactor no longer holds it; no
// beat follows.
func TestDeregisterStopsThenDeregisters(t *testing.T) {
	h := newHarness(t, Config{})
	b := instance(1, 1)
	require.NoError(t, h.r.Register(context.Background(), b))
	first := firstDue(b)
	h.advance(first, 1)
	h.f.onDeregister = func(got *BeatInfo) {
		assert.Same(t, b, got)
		assert.True(t, got.Stopped(), "stopped before it is deregistered")
		_, held := h.r.Get(got.ServiceName, got.IP, got.Port)
		assert.False(t, held)
	}
	require.NoError(t, h.r.Deregister(context.Background(), b.ServiceName, b.IP, b.Port))
	assert.Equal(t, 1, h.f.deregistered())
	h.advance(first+3*b.Period, 1) // no beat after
	assert.Zero(t, h.w.Pending())
}

func TestDeregisterFailures(t *testing.T) {
	refused := errors.New("HTTP 500")
	tests := []struct {
		name          string
		prepare       func(h *harness, b *BeatInfo)
		want          []error
		deregistering int
	}{
		{"unknown instance", func(*harness, *BeatInfo) {}, []error{ErrUnknown}, 0},
		{"registry refuses", func(h *harness, b *BeatInfo) {
			require.NoError(t, h.r.Add(b))
			h.f.deregisterErr = refused
		}, []error{ErrDeregister, refused}, 1},
		{"closed reactor", func(h *harness, b *BeatInfo) {
			require.NoError(t, h.r.Add(b))
			require.NoError(t, h.r.Close(context.Background()))
		}, []error{ErrClosed}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Config{})
			b := instance(1, 1)
			tc.prepare(h, b)
			err := h.r.Deregister(context.Background(), b.ServiceName, b.IP, b.Port)
			for _, want := range tc.want {
				require.ErrorIs(t, err, want)
			}
			assert.Equal(t, tc.deregistering, h.f.deregistered())
			assert.Zero(t, h.r.Len(), "the instance stops beating whatever the registry says")
			if !h.r.isClosed() {
				h.advance(time.Minute, 0)
			}
		})
	}
	var nilReactor *Reactor
	assert.ErrorIs(t, nilReactor.Register(context.Background(), instance(1, 1)), ErrClosed)
	assert.ErrorIs(t, nilReactor.Deregister(context.Background(), "s", "10.0.0.1", 1), ErrClosed)
}

// TestRegisterRacingAdd: when b is added while Register waits for the
// registry, Register reports ErrInUse and does not deregister the
// instance that now beats.
func TestRegisterRacingAdd(t *testing.T) {
	h := newHarness(t, Config{})
	b := instance(1, 1)
	h.f.onRegister = func(got *BeatInfo) { assert.NoError(t, h.r.Add(got)) }
	require.ErrorIs(t, h.r.Register(context.Background(), b), ErrInUse)
	assert.Zero(t, h.f.deregistered())
	got, ok := h.r.Get(b.ServiceName, b.IP, b.Port)
	require.True(t, ok)
	assert.Same(t, b, got)
}
