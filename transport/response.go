package transport

import (
	"errors"
	"time"

	"github.com/beatwheel/beatwheel/reactor"
	"github.com/valyala/fastjson"
)

var (
	// errNotJSON stands for fastjson's parse error, whose text quotes the
	// whole rest of the body: up to MaxResponseBodySize bytes, four times
	// over when they are binary, in an error that is logged.
	errNotJSON   = errors.New("not valid JSON")
	errNotObject = errors.New("not a JSON object")
	errFieldType = errors.New("field of the wrong type")
)

// parseBeatResponse turns one answer to a beat into a BeatResult, as the
// Java BeatReactor reads it: code defaults to 10200 when absent,
// clientBeatInterval (ms) counts only when above 0, lightBeatEnabled is
// false unless true. It allocates nothing for a well-formed answer. p is
// the caller's: results hold nothing of it, so it may be reused at once.
func parseBeatResponse(p *fastjson.Parser, status int, body []byte) reactor.BeatResult {
	if status != 200 {
		return reactor.BeatResult{Err: newStatusError(status, body)}
	}
	r, err := parseBeatJSON(p, body)
	if err != nil {
		return reactor.BeatResult{Err: newResponseError(body, err)}
	}
	return r
}

func parseBeatJSON(p *fastjson.Parser, body []byte) (reactor.BeatResult, error) {
	v, err := p.ParseBytes(body)
	if err != nil {
		return reactor.BeatResult{}, errNotJSON
	}
	o, err := v.Object()
	if err != nil {
		return reactor.BeatResult{}, errNotObject
	}
	r := reactor.BeatResult{Code: reactor.CodeOK}
	if f := o.Get("code"); f != nil {
		n, err := f.Int()
		if err != nil {
			return reactor.BeatResult{}, errFieldType
		}
		r.Code = n
	}
	if f := o.Get("clientBeatInterval"); f != nil {
		ms, err := f.Int64()
		if err != nil {
			return reactor.BeatResult{}, errFieldType
		}
		if ms > 0 && ms < int64(1<<63-1)/int64(time.Millisecond) {
			r.ClientBeatInterval = time.Duration(ms) * time.Millisecond
		}
	}
	if f := o.Get("lightBeatEnabled"); f != nil {
		switch f.Type() {
		case fastjson.TypeTrue:
			r.LightBeatEnabled = true
		case fastjson.TypeString:
			// Jackson's asBoolean reads "true" as true.
			s, _ := f.StringBytes()
			r.LightBeatEnabled = string(s) == "true"
		}
	}
	return r, nil
}
