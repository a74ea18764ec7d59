package transport

import (
	"bytes"
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

// beatParser parses the answers to beats of one connection. It keeps the
// last well-formed answer it parsed: a server answers a pipeline's beats
// with the same bytes again and again, and comparing them costs a fraction
// of parsing them.
type beatParser struct {
	p    fastjson.Parser
	last []byte // body of the last 200 answer parsed without error
	res  reactor.BeatResult
}

// maxRemembered bounds the body a beatParser keeps: a beat's answer is
// about 70 bytes.
const maxRemembered = 256

// parse is parseBeatResponse, answering a body equal to the last one
// without parsing it.
func (bp *beatParser) parse(status int, body []byte) reactor.BeatResult {
	if status == 200 && bp.last != nil && string(body) == string(bp.last) {
		return bp.res
	}
	r := parseBeatResponse(&bp.p, status, body)
	if status == 200 && r.Err == nil && len(body) <= maxRemembered {
		bp.last = append(bp.last[:0], body...)
		bp.res = r
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

// answer is what the pipeline reads of one HTTP answer.
type answer struct {
	status int
	body   []byte // valid until the reader reads on
	// closing: the server ends the connection after this answer.
	closing bool
	// keepAlive is N from "Keep-Alive: max=N", or -1.
	keepAlive int
}

// scanAnswer parses the HTTP/1.1 answer at the start of buf when buf holds
// all of it and it is the plain kind a Nacos server sends: a final status,
// a Content-Length no larger than maxBody, no Transfer-Encoding. It
// returns the answer and its length in buf, or ok false for anything else
// (incomplete, chunked, HTTP/1.0, 1xx, malformed), which the caller then
// reads with fasthttp. It reads only the headers the pipeline needs, and
// allocates nothing.
func scanAnswer(buf []byte, maxBody int) (a answer, n int, ok bool) {
	const proto = "HTTP/1.1 "
	if len(buf) < len(proto)+4 || string(buf[:len(proto)]) != proto {
		return a, 0, false
	}
	for _, c := range buf[len(proto) : len(proto)+3] {
		if c < '0' || c > '9' {
			return a, 0, false
		}
		a.status = a.status*10 + int(c-'0')
	}
	if a.status < 200 || a.status == 204 || a.status == 304 || buf[len(proto)+3] != ' ' && buf[len(proto)+3] != '\r' {
		return a, 0, false
	}
	a.keepAlive = -1
	eol := bytes.IndexByte(buf, '\n')
	if eol < 0 {
		return a, 0, false
	}
	rest := buf[eol+1:]
	length := -1
	for {
		eol = bytes.IndexByte(rest, '\n')
		if eol < 0 {
			return a, 0, false
		}
		line := rest[:eol]
		rest = rest[eol+1:]
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		if len(line) == 0 {
			break
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return a, 0, false
		}
		name, value := line[:colon], line[colon+1:]
		// Most headers are none of the four read below: skip them by
		// length (Keep-Alive has Connection's).
		switch len(name) {
		case len("Content-Length"), len("Transfer-Encoding"), len("Connection"):
		default:
			continue
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length >= 0 {
				return a, 0, false
			}
			length = 0
			if len(value) == 0 || len(value) > 9 {
				return a, 0, false
			}
			for _, c := range value {
				if c < '0' || c > '9' {
					return a, 0, false
				}
				length = length*10 + int(c-'0')
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			return a, 0, false
		case bytes.EqualFold(name, []byte("Connection")):
			a.closing = a.closing || hasToken(value, "close")
		case bytes.EqualFold(name, []byte("Keep-Alive")):
			a.keepAlive = keepAliveMax(value)
		}
	}
	if length < 0 || length > maxBody && maxBody > 0 {
		return a, 0, false
	}
	head := len(buf) - len(rest)
	if len(rest) < length {
		return a, 0, false
	}
	a.body = rest[:length:length]
	return a, head + length, true
}

// hasToken reports whether the comma-separated header value v lists tok,
// in any case.
func hasToken(v []byte, tok string) bool {
	for len(v) > 0 {
		var part []byte
		part, v = cutToken(v)
		if bytes.EqualFold(part, []byte(tok)) {
			return true
		}
	}
	return false
}

// cutToken returns the first element of a comma-separated header value,
// without spaces around it, and the rest after its comma.
func cutToken(v []byte) (tok, rest []byte) {
	tok, rest, _ = bytes.Cut(v, []byte{','})
	return bytes.TrimSpace(tok), rest
}
