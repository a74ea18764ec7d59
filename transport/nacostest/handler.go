package nacostest

import (
	"bytes"
	"strconv"

	"github.com/valyala/fasthttp"
)

const (
	defaultNamespace = "public"
	defaultCluster   = "DEFAULT"
	defaultGroup     = "DEFAULT_GROUP"
	groupSep         = "@@"

	contentJSON = "application/json"
	contentText = "text/plain;charset=UTF-8"

	nsPrefix       = "/nacos/v1/ns/"
	loginPath      = "/nacos/v1/auth/login"
	usersLoginPath = "/nacos/v1/auth/users/login"

	msgServiceFormat = "caused: Param 'serviceName' is illegal, it should be format as 'groupName@@serviceName';"
	msgNUL           = "caused: parameters must not contain NUL;"
)

// handle is the fasthttp handler of every request.
func (s *Server) handle(ctx *fasthttp.RequestCtx) {
	st := s.counters.stripe(ctx.ConnID())
	st.requests.Add(1)
	path := ctx.Path()
	if !bytes.HasPrefix(path, []byte(nsPrefix)) {
		switch string(path) {
		case loginPath, usersLoginPath:
			s.login(ctx, st)
		default:
			writeText(ctx, fasthttp.StatusNotFound, "not found")
		}
		return
	}
	if s.injectFault(ctx, st) {
		return
	}
	if s.cfg.Username != "" {
		if msg := s.authMessage(ctx); msg != "" {
			st.authFailures.Add(1)
			writeText(ctx, fasthttp.StatusForbidden, msg)
			return
		}
	}
	switch string(path[len(nsPrefix):]) {
	case "instance/beat":
		if ctx.IsPut() {
			s.beat(ctx, st)
			return
		}
	case "instance":
		switch {
		case ctx.IsPost():
			if !s.capacity.refuse(ctx) {
				s.register(ctx, st)
			}
			return
		case ctx.IsDelete():
			s.deregister(ctx, st)
			return
		}
	case "instance/list":
		if ctx.IsGet() {
			s.list(ctx)
			return
		}
	case "operator/metrics":
		if ctx.IsGet() {
			s.metrics(ctx)
			return
		}
	default:
		writeText(ctx, fasthttp.StatusNotFound, "not found")
		return
	}
	methodNotAllowed(ctx)
}

// methodNotAllowed answers a request whose method the path does not take,
// as Spring does.
func methodNotAllowed(ctx *fasthttp.RequestCtx) {
	writeText(ctx, fasthttp.StatusMethodNotAllowed, "Request method '"+string(ctx.Method())+"' not supported")
}

// param returns the trimmed value of key from the query string, else from
// a form body; nil when absent or blank (Nacos treats blank as absent).
func param(ctx *fasthttp.RequestCtx, key string) []byte {
	if v := bytes.TrimSpace(ctx.QueryArgs().Peek(key)); len(v) > 0 {
		return v
	}
	return bytes.TrimSpace(ctx.PostArgs().Peek(key))
}

// paramOr is param with a default.
func paramOr(ctx *fasthttp.RequestCtx, key string, def []byte) []byte {
	if v := param(ctx, key); len(v) > 0 {
		return v
	}
	return def
}

// The defaults as bytes, so that using them allocates nothing.
var (
	defaultNamespaceB = []byte(defaultNamespace)
	defaultClusterB   = []byte(defaultCluster)
	defaultGroupB     = []byte(defaultGroup)
)

// appendServiceKey appends "namespace NUL service NUL", the key prefix of
// every instance of the service a naming request names: namespaceId, and
// serviceName grouped with groupName when bare. It returns a message for a
// 400 answer when the parameters are invalid.
func appendServiceKey(dst []byte, ctx *fasthttp.RequestCtx) ([]byte, string) {
	ns := paramOr(ctx, "namespaceId", defaultNamespaceB)
	name := param(ctx, "serviceName")
	if len(name) == 0 {
		return dst, "caused: Param 'serviceName' is required.;"
	}
	if bytes.IndexByte(ns, keySep) >= 0 || bytes.IndexByte(name, keySep) >= 0 {
		return dst, msgNUL
	}
	dst = append(dst, ns...)
	dst = append(dst, keySep)
	if i := bytes.Index(name, []byte(groupSep)); i >= 0 {
		if i == 0 || i+len(groupSep) == len(name) {
			return dst, msgServiceFormat
		}
		dst = append(dst, name...)
	} else {
		group := paramOr(ctx, "groupName", defaultGroupB)
		if bytes.IndexByte(group, keySep) >= 0 {
			return dst, msgNUL
		}
		dst = append(dst, group...)
		dst = append(dst, groupSep...)
		dst = append(dst, name...)
	}
	return append(dst, keySep), ""
}

// appendIdentity appends the store key of the instance a naming request
// names: its service (see appendServiceKey), then cluster, ip and port as
// the caller read them.
func appendIdentity(dst []byte, ctx *fasthttp.RequestCtx, cluster, ip []byte, port int) ([]byte, string) {
	dst, msg := appendServiceKey(dst, ctx)
	if msg != "" {
		return dst, msg
	}
	if bytes.IndexByte(cluster, keySep) >= 0 || bytes.IndexByte(ip, keySep) >= 0 {
		return dst, msgNUL
	}
	return appendInstanceKey(dst, cluster, ip, port), ""
}

// parsePort parses a port parameter; ok is false when it is not a number in
// [0, 65535].
func parsePort(b []byte) (int, bool) {
	p, err := fasthttp.ParseUint(b)
	if err != nil || p > 65535 {
		return 0, false
	}
	return p, true
}

// badNumber is the message of a 400 answer to a numeric parameter b that
// does not parse, as Java's NumberFormatException words it.
func badNumber(b []byte) string {
	return "caused: For input string: \"" + string(b) + "\";"
}

// toBoolean reads a boolean the way commons-lang BooleanUtils.toBoolean
// does: true, on, yes, y and t (any case) are true, anything else false.
func toBoolean(b []byte, def bool) bool {
	if len(b) == 0 {
		return def
	}
	for _, t := range [...]string{"true", "on", "yes", "y", "t"} {
		if bytes.EqualFold(b, []byte(t)) {
			return true
		}
	}
	return false
}

func writeText(ctx *fasthttp.RequestCtx, status int, msg string) {
	ctx.SetStatusCode(status)
	ctx.SetContentType(contentText)
	ctx.SetBodyString(msg)
}

// appendBeatAnswer appends the JSON answer to a beat; code is 10200 or
// 20404 (which carries no lightBeatEnabled, as in Nacos).
func appendBeatAnswer(dst []byte, intervalMs int64, code int, light bool) []byte {
	dst = append(dst, `{"clientBeatInterval":`...)
	dst = strconv.AppendInt(dst, intervalMs, 10)
	dst = append(dst, `,"code":`...)
	dst = strconv.AppendInt(dst, int64(code), 10)
	if code == codeOK {
		dst = append(dst, `,"lightBeatEnabled":`...)
		dst = strconv.AppendBool(dst, light)
	}
	return append(dst, '}')
}

// writeBeatOK answers a beat of a known instance whose interval is
// intervalMs: with the answer built at Start unless the instance has an
// interval of its own.
func (s *Server) writeBeatOK(ctx *fasthttp.RequestCtx, intervalMs int64) {
	if intervalMs == s.beatMs {
		writeJSON(ctx, s.okAnswer)
		return
	}
	var buf [96]byte
	writeJSON(ctx, appendBeatAnswer(buf[:0], intervalMs, codeOK, s.light))
}

// writeJSON answers 200 with body, which it copies.
func writeJSON(ctx *fasthttp.RequestCtx, body []byte) {
	ctx.SetStatusCode(fasthttp.StatusOK)
	ctx.SetContentType(contentJSON)
	ctx.SetBody(body)
}

const (
	codeOK       = 10200
	codeNotFound = 20404
)
