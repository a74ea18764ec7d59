package transport

import "sync/atomic"

// Stats are a Client's counters since New, for a user to export. They are
// counted per connection, batch or event, never per beat, so reading them
// costs nothing on the beat path.
type Stats struct {
	// ConnsDialled counts the pipelined connections made (ModePipeline),
	// those dialled ahead included.
	ConnsDialled uint64
	// Resent counts beats sent again, once each, because the server ended
	// their connection in an orderly way (an answer with "Connection:
	// close", EOF, a reset) before answering them.
	Resent uint64
	// ServerCloses counts pipelined connections the server ended: after an
	// answer with "Connection: close", or with EOF or a reset, idle or
	// not.
	ServerCloses uint64
	// ConnLimit is the requests the current server answers on one
	// connection before it ends it, as learned (ModePipeline); 0 while
	// unknown, when the server sets no limit, or in ModeHostClient.
	ConnLimit int
	// Failovers counts moves to the next server.
	Failovers uint64
	// Logins counts successful logins.
	Logins uint64
	// LoginFailures counts failed login rounds.
	LoginFailures uint64
}

// clientCounters are the atomic counters behind Stats.
type clientCounters struct {
	dials, resent, serverCloses      atomic.Uint64
	failovers, logins, loginFailures atomic.Uint64
}

// Stats returns a snapshot of the client's counters.
func (c *Client) Stats() Stats {
	st := Stats{
		ConnsDialled:  c.stats.dials.Load(),
		Resent:        c.stats.resent.Load(),
		ServerCloses:  c.stats.serverCloses.Load(),
		Failovers:     c.stats.failovers.Load(),
		Logins:        c.stats.logins.Load(),
		LoginFailures: c.stats.loginFailures.Load(),
	}
	if len(c.pipes) > 0 {
		st.ConnLimit = int(c.pipes[c.cur.Load()][0].limit.Load())
	}
	return st
}
