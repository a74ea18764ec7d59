package transport

import (
	"context"

	"github.com/beatwheel/beatwheel/reactor"
	"github.com/valyala/fasthttp"
)

// reqKind is what a pipelined batch's requests are.
type reqKind uint8

const (
	kindBeat       reqKind = iota // PUT …/instance/beat
	kindRegister                  // POST …/instance
	kindDeregister                // DELETE …/instance
)

// method is the HTTP method of a registration or deregistration.
func (k reqKind) method() string {
	if k == kindRegister {
		return fasthttp.MethodPost
	}
	return fasthttp.MethodDelete
}

// params are the instance's parameters a registration or deregistration
// sends.
func (k reqKind) params() []param {
	if k == kindRegister {
		return registerQuery
	}
	return deregisterQuery
}

// op names the call in errors.
func (k reqKind) op() string {
	switch k {
	case kindRegister:
		return "register"
	case kindDeregister:
		return "deregister"
	}
	return "beat"
}

// RegisterAll registers each instance of infos, as Register does, and
// stores the outcome in errs[i] (nil: registered); errs must be at least
// as long as infos. Each BeatInfo is checked first with Validate: an
// invalid one is not sent and its error is Validate's.
//
// In ModePipeline the registrations travel pipelined over the beats'
// connections, cut into segments as SendBeats cuts beats, at most
// MaxInflightPerConn in flight per connection and within the server's
// per-connection request limit; a registration the server did not answer
// before it ended the connection in an orderly way is sent again once (a
// registration is idempotent). There is no retry on another server: the
// client fails over after a connection error and a later call goes there.
// In ModeHostClient it calls Register for each, one after the other.
func (c *Client) RegisterAll(ctx context.Context, infos []*reactor.BeatInfo, errs []error) {
	c.instancesCall(ctx, kindRegister, infos, errs)
}

// DeregisterAll removes each instance of infos, as Deregister does, and
// stores the outcome in errs[i]. It checks, batches and sends them as
// RegisterAll does.
func (c *Client) DeregisterAll(ctx context.Context, infos []*reactor.BeatInfo, errs []error) {
	c.instancesCall(ctx, kindDeregister, infos, errs)
}

func (c *Client) instancesCall(ctx context.Context, k reqKind, infos []*reactor.BeatInfo, errs []error) {
	errs = errs[:len(infos)]
	if c.cfg.Mode != ModePipeline {
		for i, b := range infos {
			errs[i] = c.instanceCall(ctx, k, b)
		}
		return
	}
	// The pipeline carries reactor.Beats: valid instances only, at, in
	// infos, the index idx[j] of the j-th.
	beats := make([]reactor.Beat, 0, len(infos))
	idx := make([]int, 0, len(infos))
	for i, b := range infos {
		if err := b.Validate(); err != nil {
			errs[i] = err
			continue
		}
		beats = append(beats, reactor.Beat{Info: b})
		idx = append(idx, i)
	}
	if len(beats) == 0 {
		return
	}
	token, err := c.ready(ctx)
	if err != nil {
		for _, i := range idx {
			errs[i] = err
		}
		return
	}
	results := make([]reactor.BeatResult, len(beats))
	c.sendPipelined(ctx, k, beats, results, token)
	for j, i := range idx {
		errs[i] = results[j].Err
	}
}
