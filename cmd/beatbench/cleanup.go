package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// deregisterer is a load that registered its instances on a server that
// outlives the run, and can deregister them.
type deregisterer interface {
	// deregister stops the load's beats and deregisters what it
	// registered, until ctx is done, calling progress about once a
	// second; it returns how many it deregistered and what failed.
	deregister(ctx context.Context, progress func(done, total int)) (done int, failed deregFailures)
}

// cleanup deregisters d's instances, showing progress on p, until done or
// until a second Ctrl-C (or SIGTERM): the first one ended the run.
func cleanup(d deregisterer, p *printer) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cleanupCtx(ctx, d, p)
}

// cleanupCtx is cleanup until ctx is done.
func cleanupCtx(ctx context.Context, d deregisterer, p *printer) {
	t0 := time.Now()
	p.printf("\nderegistering the instances this run registered (-keep keeps them; Ctrl-C stops)\n")
	done, failed := d.deregister(ctx, func(done, total int) {
		p.printf("deregistering: %d of %d\n", done, total)
	})
	switch {
	case ctx.Err() != nil:
		p.printf("deregistration stopped after %d: the rest stay registered until the server drops them\n", done)
	case failed.n > 0:
		p.printf("deregistered %d instances in %s; %d failed, the first: %v\n", done, time.Since(t0).Round(time.Millisecond), failed.n, failed.first)
	default:
		p.printf("deregistered %d instances in %s\n", done, time.Since(t0).Round(time.Millisecond))
	}
}
