package reactor

import (
	"context"
	"errors"
	"fmt"
)

// Register starts an instance the way the Nacos client's
// NamingService.registerInstance does: it registers b with the registry
// through Config.Transport, within ctx, then beats for it (Add). If the
// registry does not take the registration, nothing is added and the error
// wraps ErrRegister and the Transport's error. If Add fails after the
// registration succeeded because the Reactor was closed meanwhile,
// Register deregisters b again, within ctx, and returns an error wrapping
// ErrClosed (and ErrDeregister, if that failed too); if b was added
// concurrently it returns ErrInUse and leaves the instance to the call
// that added it.
//
// The Java client schedules the beat first and registers after; Register
// beats only for an instance the registry took, so a failed Register
// leaves nothing behind. b must not have been added before (ErrInUse).
// Validate's defaults apply: a zero Weight registers weight 1.0.
func (r *Reactor) Register(ctx context.Context, b *BeatInfo) error {
	if err := r.validate(b); err != nil {
		return err
	}
	if b.flags.Load()&flagAdded != 0 {
		return ErrInUse
	}
	if r.isClosed() {
		return ErrClosed
	}
	if err := r.cfg.Transport.Register(ctx, b); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrRegister, b.Key(), err)
	}
	if err := r.Add(b); err != nil {
		if errors.Is(err, ErrInUse) {
			return err // a concurrent Register of b won: the instance is its
		}
		if derr := r.cfg.Transport.Deregister(ctx, b); derr != nil {
			return errors.Join(err, fmt.Errorf("%w: undoing the registration of %s: %w", ErrDeregister, b.Key(), derr))
		}
		return err
	}
	return nil
}

// Deregister ends an instance the way the Nacos client's
// NamingService.deregisterInstance does: it stops beating for the instance
// and forgets it (Remove), then deregisters it through Config.Transport
// within ctx. It takes the instance's identity, like Remove and Get, and
// deregisters it with the BeatInfo the Reactor held (its cluster and
// metadata). An instance the Reactor does not hold gives ErrUnknown and
// nothing is sent. A failed deregistration gives an error wrapping
// ErrDeregister and the Transport's error; the instance no longer beats
// either way, so the registry drops it when its beats stop counting
// (30 s on Nacos).
//
// A beat that a sender had already handed to the Transport when
// Deregister stopped the instance may still reach the registry after the
// deregistration.
func (r *Reactor) Deregister(ctx context.Context, service, ip string, port int) error {
	if r == nil {
		return ErrClosed
	}
	b, ok := r.beats.delete(service, ip, port)
	if !ok {
		if r.isClosed() {
			return ErrClosed
		}
		return fmt.Errorf("%w: %s", ErrUnknown, Key(service, ip, port))
	}
	r.stop(b)
	if err := r.cfg.Transport.Deregister(ctx, b); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrDeregister, b.Key(), err)
	}
	return nil
}

// isClosed reports whether Close has started.
func (r *Reactor) isClosed() bool {
	r.life.RLock()
	defer r.life.RUnlock()
	return r.closed
}
