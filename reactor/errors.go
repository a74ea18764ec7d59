package reactor

import "errors"

// Sentinel errors. Validation errors wrap one of them with the offending
// value, so callers test them with errors.Is.
var (
	// ErrServiceName reports an empty or malformed service name.
	ErrServiceName = errors.New("reactor: invalid service name")
	// ErrCluster reports a cluster name Nacos refuses.
	ErrCluster = errors.New("reactor: invalid cluster name")
	// ErrIP reports an IP that is neither IPv4 nor IPv6.
	ErrIP = errors.New("reactor: invalid IP")
	// ErrPort reports a port outside 1..65535.
	ErrPort = errors.New("reactor: invalid port")
	// ErrPeriod reports a beat period outside MinPeriod..MaxPeriod, or
	// shorter than the tick of the Reactor's scheduler.
	ErrPeriod = errors.New("reactor: invalid period")
	// ErrWeight reports a negative, NaN or infinite weight.
	ErrWeight = errors.New("reactor: invalid weight")
	// ErrNilBeat reports a nil *BeatInfo.
	ErrNilBeat = errors.New("reactor: nil BeatInfo")
	// ErrClosed reports use of a Reactor after Close, or of a nil Reactor.
	ErrClosed = errors.New("reactor: closed")
	// ErrConfig is wrapped by every configuration error from New.
	ErrConfig = errors.New("reactor: invalid config")
	// ErrRegister is wrapped, beside the Transport's error, by Register
	// when the registry did not take the registration.
	ErrRegister = errors.New("reactor: registration failed")
	// ErrDeregister is wrapped, beside the Transport's error, by
	// Deregister when the registry did not take the deregistration.
	ErrDeregister = errors.New("reactor: deregistration failed")
	// ErrUnknown is returned by Deregister for an instance the Reactor
	// does not hold.
	ErrUnknown = errors.New("reactor: no such instance")
)
