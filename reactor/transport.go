package reactor

import (
	"context"
	"time"
)

// Nacos response codes the Reactor acts on.
const (
	// CodeOK is the code of an accepted beat.
	CodeOK = 10200
	// CodeNotFound means the server does not know the instance: the Reactor
	// registers it again.
	CodeNotFound = 20404
)

// Beat is one beat for a Transport to send.
type Beat struct {
	// Info is the instance. Read it; never change it.
	Info *BeatInfo
	// Light asks for a light beat: no BeatInfo body, only the instance's
	// identity, as the server allows when it answered lightBeatEnabled.
	Light bool
	// Late is how long after its due time the scheduler handed the beat
	// out: what Stats.Lateness records. A transport may log or measure it.
	Late time.Duration
}

// BeatResult is what the server answered to one beat.
type BeatResult struct {
	// Err is set when the beat got no usable answer: a network error, a
	// timeout, a non-200 status or a body that does not parse. The other
	// fields are then zero.
	Err error
	// Code is the Nacos code in the answer: CodeOK, CodeNotFound, or another.
	Code int
	// ClientBeatInterval is the period the server asks for; 0 if it gave none.
	ClientBeatInterval time.Duration
	// LightBeatEnabled is the server's permission to send light beats.
	LightBeatEnabled bool
}

// Kind returns why the beat was not accepted, as the Reactor reads r and
// counts it in Stats.Failed: KindNone for CodeOK; KindTimeout for an Err
// that says a deadline passed (context.DeadlineExceeded, or an error whose
// Timeout method returns true, anywhere in its chain); KindTransport for
// any other Err. A Transport chooses its errors with this in mind: after
// a KindTransport failure the Reactor sends full beats for a period, which
// register the instances again on a server that restarted empty, where a
// timeout only waits for the next period.
func (r BeatResult) Kind() FailureKind {
	switch {
	case r.Err != nil && isTimeout(r.Err):
		return KindTimeout
	case r.Err != nil:
		return KindTransport
	case r.Code == CodeOK:
		return KindNone
	case r.Code == CodeNotFound:
		return KindNotFound
	}
	return KindCode
}

// Transport carries beats and registrations to the registry. The Reactor
// calls it from its sender goroutines, several at once.
type Transport interface {
	// SendBeats sends beats[i] and stores its answer in results[i]; the two
	// slices have the same length. It returns when every beat has an answer
	// or an error, or soon after ctx is done: the beats not answered then
	// get ctx's error (a Transport may give it to the whole batch), and it
	// touches neither slice once it has returned. Sending a batch at once
	// lets a transport pipeline it.
	SendBeats(ctx context.Context, beats []Beat, results []BeatResult)
	// Register registers the instance b describes (ephemeral).
	Register(ctx context.Context, b *BeatInfo) error
	// Deregister removes the instance b describes.
	Deregister(ctx context.Context, b *BeatInfo) error
}
