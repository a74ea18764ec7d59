package transport

import "sync/atomic"

// counts stands in for the Client's event counters until stats.go (being
// written on another branch) lands with its own type for c.stats holding
// these same fields; then this file goes. Each field is incremented in one
// place: failovers in failedOver (failover.go), logins in loggedIn and
// loginFailures in loginFailed (auth.go).
type counts struct {
	failovers, logins, loginFailures atomic.Uint64
}
