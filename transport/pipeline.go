package transport

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"

	"github.com/beatwheel/beatwheel/reactor"
)

// How ModePipeline works.
//
// Each server has Conns pconns. A pconn holds at most one live session (a
// net.Conn with one writer and one reader goroutine) and, once the server's
// per-connection request limit is known, one pre-dialled spare. SendBeats
// cuts its batch into segments, appends each to a session's queue and waits
// once for the whole batch (batch.left reaches 0, one send on batch.wake).
//
// The writer takes every queued segment, and for each beat pushes an entry
// {batch, index} on the inflight channel, then appends the raw request to
// its buffer; it writes the buffer with one Write per wake-up (or when it
// grows past flushAt, or before waiting on a full inflight channel). The
// inflight channel's capacity is MaxInflightPerConn: the back-pressure.
//
// The reader waits for answer bytes (so it also sees a server that closes
// an idle connection), pops the next entry, reads the answer and completes
// the entry. A read deadline is armed while entries are in flight and
// refreshed whenever the reader has consumed what it had buffered: it
// bounds the wait from the moment the reader last caught up with the
// socket, once per read of many answers rather than once per answer.
//
// Connection limits. Servers end connections: Tomcat (under Nacos 1.x)
// answers the 100th request on a connection with "Connection: close", and
// closes idle ones. The limit a connection carries is
// Config.MaxRequestsPerConn, or else the one learned from the server (the
// number of answers up to one with "Connection: close", or 1+N after
// "Keep-Alive: max=N"). A writer writes at most that many requests on its
// session; at half of it the pconn dials a spare in its own goroutine (no
// lock held), and when the writer reaches the limit it hands what it did
// not write to the spare and stops. Its reader reads the last answers and
// the connection ends with nothing in flight.
//
// Any error kills the session once. When the server ended the connection
// in an orderly way (an answer with "Connection: close", EOF, a reset or a
// broken pipe) the beats in flight were not processed (RFC 7230 §6.3.2):
// beats are idempotent, so the reader sends them again, once, on the next
// session of the same pconn, without failing over; a beat already sent
// again fails. Otherwise (a timeout, a malformed answer, Close) the beats
// in flight fail with the error. Segments not yet written move to the next
// session; after an error that was not an orderly close, or a session that
// got no answer at all, a segment moves once and fails the second time.
// Dialling happens in a goroutine of its own, outside p.mu: batches queue
// their segments on the pconn meanwhile, and Close cancels the dial.
//
// Registrations and deregistrations (RegisterAll, DeregisterAll) travel
// the same way: a batch has one kind of request, which the writer encodes
// and the reader parses by. Below, "beat" means any request of a batch.
// Beats go first: the writer takes beat segments before registrations,
// and a writer in the middle of registrations, once it has written
// minSegment of them, stops when a beat segment is queued, writes it, then
// goes on (a beat late by a period is lost; a registration can wait).
//
// Where each part lives: this file has batches, segments and
// sendPipelined; pconn.go the connection slots, their limit and dialling;
// session.go a connection's shared state and how it dies; writer.go the
// writer; reader.go the reader.

const (
	minSegment = 32 // beats per segment before a batch uses another connection
	// maxPooledBatch is the most beats whose copies a pooled batch keeps:
	// a reactor's batches (256 by default) reuse theirs, where a large
	// RegisterAll's (beatbench registers 4,096 at a time) would keep
	// megabytes in the pool after the registrations are over.
	maxPooledBatch = 1024
	flushAt        = 64 << 10 // write once this much is buffered
	readBufSize    = 16 << 10
)

var (
	errUnexpectedAnswer = errors.New("answer with no request in flight")
	errServerClosing    = errors.New("server closed the connection (Connection: close)")
	// errConnUsedUp ends a session that carried its limit and got every
	// answer; it never reaches a beat.
	errConnUsedUp = errors.New("connection carried its request limit")
)

type batch struct {
	kind    reqKind // what every request of the batch is
	ctx     context.Context
	done    <-chan struct{}
	beats   []reactor.Beat
	results []reactor.BeatResult
	token   string
	left    atomic.Int32
	wake    chan struct{}
}

// newBatch makes a batch for Client.batches.
func newBatch() any { return &batch{wake: make(chan struct{}, 1)} }

func (b *batch) finish(i int, r reactor.BeatResult) {
	b.results[i] = r
	if b.left.Add(-1) == 0 {
		b.wake <- struct{}{}
	}
}

func (b *batch) fail(lo, hi int, err error) {
	if lo >= hi {
		return
	}
	for i := lo; i < hi; i++ {
		b.results[i] = reactor.BeatResult{Err: err}
	}
	if b.left.Add(int32(lo-hi)) == 0 {
		b.wake <- struct{}{}
	}
}

// segment is beats [lo, hi) of a batch, queued for one connection.
// retried marks beats already written once on a connection that the server
// ended before answering them (or that moved on from a session that got no
// answer): the next break fails them.
type segment struct {
	b       *batch
	lo, hi  int
	retried bool
}

// failSegs fails every beat of segs with err.
func failSegs(segs []segment, err error) {
	for _, seg := range segs {
		seg.b.fail(seg.lo, seg.hi, err)
	}
}

type entry struct {
	b       *batch
	i       int
	retried bool
}

// sendPipelined sends a request of kind k for each of beats (for
// registrations, only their Info counts) and waits for every answer, or
// until ctx is done: then every beat gets ctx's error, answered or not.
func (c *Client) sendPipelined(ctx context.Context, k reqKind, beats []reactor.Beat, results []reactor.BeatResult, token string) {
	b := c.batches.Get().(*batch)
	n := len(beats)
	// The batch works on copies of beats and results (80 bytes a beat,
	// against microseconds of sending it), so that it can be left to the
	// beats in flight when ctx ends: their late answers land in the
	// copies, which the caller no longer reads.
	b.beats = append(b.beats[:0], beats...)
	b.results = slices.Grow(b.results[:0], n)[:n]
	b.kind, b.ctx, b.done, b.token = k, ctx, ctx.Done(), token
	b.left.Store(int32(n))
	pcs := c.pipes[c.cur.Load()]
	segs := (n + minSegment - 1) / minSegment
	if segs > len(pcs) {
		segs = len(pcs)
	}
	first := int(c.rr.Add(1))
	for j := 0; j < segs; j++ {
		pcs[(first+j)%len(pcs)].submit(segment{b: b, lo: j * n / segs, hi: (j + 1) * n / segs})
	}
	select {
	case <-b.wake:
	case <-b.done:
		select {
		case <-b.wake: // every beat was answered meanwhile
		default:
			failAll(results, ctx.Err()) // and b is left to what is in flight
			return
		}
	}
	copy(results, b.results)
	if cap(b.beats) > maxPooledBatch {
		b.beats, b.results = nil, nil
	} else {
		clear(b.beats) // a pooled batch keeps no BeatInfo alive
	}
	b.ctx, b.done, b.token = nil, nil, ""
	c.batches.Put(b)
}
