package reactor

import "time"

// State is what a Transition says an instance became.
type State uint8

// The states Config.Observer hears about. Each is reported once when an
// instance enters it: beats that keep failing, or keep getting 20404, are
// not reported again until one is accepted (StateRecovered).
const (
	// StateFailing: a beat got no answer, or a code other than 10200 and
	// 20404, after the instance's last accepted beat (or before any). Its
	// beats are full until one is accepted.
	StateFailing State = iota + 1
	// StateRecovered: a beat was accepted after StateFailing or
	// StateNotFound.
	StateRecovered
	// StateNotFound: the server answered 20404: it does not know the
	// instance. Its beats are full until one is accepted, and it is queued
	// for re-registration.
	StateNotFound
	// StateReregistered: the instance was registered again after a 20404.
	StateReregistered
)

// String returns the state's name.
func (s State) String() string {
	switch s {
	case StateFailing:
		return "failing"
	case StateRecovered:
		return "recovered"
	case StateNotFound:
		return "not found"
	case StateReregistered:
		return "re-registered"
	}
	return "unknown"
}

// FailureKind is why a beat was not accepted: the kinds Stats.Failed counts.
type FailureKind uint8

// Failure kinds.
const (
	// KindNone: no failure (StateRecovered, StateReregistered).
	KindNone FailureKind = iota
	// KindNotFound: the server answered 20404.
	KindNotFound
	// KindCode: the server answered a code other than 10200 and 20404.
	KindCode
	// KindTimeout: no answer in time.
	KindTimeout
	// KindTransport: any other error (connection refused or reset, bad
	// status, unparsable body).
	KindTransport
)

// String returns the kind's name.
func (k FailureKind) String() string {
	switch k {
	case KindNone:
		return "none"
	case KindNotFound:
		return "not found"
	case KindCode:
		return "code"
	case KindTimeout:
		return "timeout"
	case KindTransport:
		return "transport"
	}
	return "unknown"
}

// Transition is one change of an instance's state, handed to
// Config.Observer.
type Transition struct {
	// Info is the instance. Read it; never change it.
	Info *BeatInfo
	// State is what the instance became.
	State State
	// At is when the Reactor saw the change: when the answer (or the
	// error) arrived, or the re-registration succeeded.
	At time.Time
	// Kind is why the beat failed, for StateFailing and StateNotFound;
	// KindNone otherwise.
	Kind FailureKind
	// Err is the beat's error for KindTimeout and KindTransport; nil
	// otherwise.
	Err error
}

// observe hands a transition of b to Config.Observer, if there is one.
// Senders call it on the state changes they see; the re-registration
// worker calls it with StateReregistered.
func (r *Reactor) observe(b *BeatInfo, s State, at time.Time, kind FailureKind, err error) {
	if r.cfg.Observer != nil {
		r.cfg.Observer(Transition{Info: b, State: s, At: at, Kind: kind, Err: err})
	}
}
