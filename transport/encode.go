package transport

import (
	"slices"
	"strconv"
	"strings"

	"github.com/beatwheel/beatwheel/reactor"
)

// What the requests carry, and what of it a server reads.
//
// A Nacos 1.x server reads every parameter with
// HttpServletRequest.getParameter (WebUtils.optional and required in
// InstanceController.beat, register and deregister), from the query and
// the form alike: a map. It reads the beat parameter with Jackson into
// RsInfo, field by field name, ignoring fields it does not know. So the
// order of the parameters, the order of the JSON's fields and the way a
// number is written mean nothing to it; which parameters are sent, their
// values, and escaping that decodes to those values are what it reads.
// This file writes one fixed order per request and numbers as strconv
// writes them. TestWireValues reads requests back with net/http and
// encoding/json and compares values; testdata/*.golden keeps the bytes of a
// beat, a light beat, a register and a deregister so that a change shows
// in review.
//
// The requests, as the Nacos 1.4 Java client's NamingProxy makes them:
//
//   - beat: PUT {ContextPath}/v1/ns/instance/beat with namespaceId,
//     serviceName, clusterName, ip and port in the query and the form body
//     beat=<BeatInfo JSON> unless the beat is light. The JSON has the Java
//     BeatInfo's fields (the server reads port, ip, weight, serviceName,
//     cluster and metadata from it).
//   - register: POST {ContextPath}/v1/ns/instance; deregister: DELETE on
//     the same path. Every parameter is in the query; the body is empty.
//   - namespaceId comes first and is left out when Config.Namespace is
//     empty (the server then uses "public"); accessToken comes last, when
//     there is a token. We do not send app (the Java client's "unknown").
//   - An empty cluster is sent as "DEFAULT" (Constants.DEFAULT_CLUSTER_NAME,
//     what NacosNamingService fills in); a service name without a group
//     registers with groupName DEFAULT_GROUP (NamingUtils.getGroupName).
//   - Headers: NamingProxy.builderHeader's Client-Version, User-Agent,
//     RequestId and Request-Module: Naming, and the form Content-Type. Not
//     Accept-Encoding gzip (we do not read gzip) nor "Requester:
//     Keep-Alive", which the server ignores.
//   - SecurityProxy.login (auth.go) posts username in the query and
//     password in the form to {ContextPath}/v1/auth/users/login.

const (
	javaClientVersion = "1.4.1"
	userAgent         = "Nacos-Java-Client:v" + javaClientVersion
	formContentType   = "application/x-www-form-urlencoded;charset=UTF-8"
	defaultCluster    = "DEFAULT"
	defaultGroup      = "DEFAULT_GROUP"

	beatPath     = "/v1/ns/instance/beat"
	instancePath = "/v1/ns/instance"
	loginPath    = "/v1/auth/users/login"
)

// param is a parameter an instance gives its value to.
type param uint8

const (
	pServiceName param = iota
	pGroup
	pCluster
	pIP
	pPort
	pWeight
	pEnable
	pHealthy
	pEphemeral
	pMetadata
)

// paramNames holds each parameter's name with its "=".
var paramNames = [...]string{
	pServiceName: "serviceName=",
	pGroup:       "groupName=",
	pCluster:     "clusterName=",
	pIP:          "ip=",
	pPort:        "port=",
	pWeight:      "weight=",
	pEnable:      "enable=",
	pHealthy:     "healthy=",
	pEphemeral:   "ephemeral=",
	pMetadata:    "metadata=",
}

// The instance's parameters of each request, in the order sent, between
// namespaceId and accessToken (appendQuery).
var (
	beatQuery       = []param{pServiceName, pCluster, pIP, pPort}
	deregisterQuery = []param{pServiceName, pCluster, pIP, pPort, pEphemeral}
	registerQuery   = []param{pServiceName, pGroup, pCluster, pIP, pPort,
		pWeight, pEnable, pHealthy, pEphemeral, pMetadata}
)

// encoder holds the scratch space of one request's encoding. Not safe for
// concurrent use; the client pools them, and each pipeline writer has one.
type encoder struct {
	json []byte
	meta [][2]string // appendMetadata's key-value pairs
	uri  []byte
	body []byte
	wire []byte
	head beatHead
}

// beatHead is the fixed text of a pipelined beat to one server. An encoder
// builds it on its first beat for a client and server, and appends it
// whole to every beat after.
type beatHead struct {
	c    *Client
	host string
	line []byte // "PUT /nacos/v1/ns/instance/beat?namespaceId=dev&"
	hdrs []byte // " HTTP/1.1\r\nHost: …\r\nRequestId: "
}

// headFor returns the fixed text of a beat from c to host.
func (e *encoder) headFor(c *Client, host string) *beatHead {
	h := &e.head
	if h.c == c && h.host == host {
		return h
	}
	h.c, h.host = c, host
	h.line = append(h.line[:0], "PUT "...)
	h.line = append(h.line, c.cfg.ContextPath...)
	h.line = append(h.line, beatPath...)
	h.line = appendQueryStart(h.line, c.cfg.Namespace)
	h.hdrs = append(h.hdrs[:0], " HTTP/1.1\r\nHost: "...)
	h.hdrs = append(h.hdrs, host...)
	h.hdrs = append(h.hdrs, "\r\nClient-Version: "+javaClientVersion+
		"\r\nContent-Type: "+formContentType+
		"\r\nRequest-Module: Naming\r\nUser-Agent: "+userAgent+
		"\r\nRequestId: "...)
	return h
}

// appendBeatWire appends a whole HTTP/1.1 beat request, as the pipeline
// writes it.
func (e *encoder) appendBeatWire(dst []byte, c *Client, host string, bt reactor.Beat, token string, reqID uint64) []byte {
	h := e.headFor(c, host)
	dst = append(dst, h.line...)
	dst = e.appendParams(dst, beatQuery, bt.Info)
	dst = appendToken(dst, token)
	dst = append(dst, h.hdrs...)
	dst = appendRequestID(dst, &c.reqIDPrefix, reqID)
	dst = append(dst, "\r\nContent-Length: "...)
	if bt.Light {
		return append(dst, "0\r\n\r\n"...)
	}
	e.body = e.appendBeatBody(e.body[:0], bt.Info)
	dst = strconv.AppendInt(dst, int64(len(e.body)), 10)
	dst = append(dst, "\r\n\r\n"...)
	return append(dst, e.body...)
}

// appendInstanceWire appends a whole HTTP/1.1 registration (k is
// kindRegister) or deregistration (kindDeregister) of b, as the pipeline
// writes it: the query of the hostclient path, the headers of a beat.
func (e *encoder) appendInstanceWire(dst []byte, c *Client, host string, k reqKind, b *reactor.BeatInfo, token string, reqID uint64) []byte {
	h := e.headFor(c, host)
	dst = append(dst, k.method()...)
	dst = append(dst, ' ')
	dst = append(dst, c.cfg.ContextPath...)
	dst = append(dst, instancePath...)
	dst = e.appendQuery(dst, k.params(), b, c.cfg.Namespace, token)
	dst = append(dst, h.hdrs...)
	dst = appendRequestID(dst, &c.reqIDPrefix, reqID)
	return append(dst, "\r\nContent-Length: 0\r\n\r\n"...)
}

// appendQuery appends the query of a request: "?", namespaceId unless ns
// is empty, the instance's params, accessToken unless token is empty.
func (e *encoder) appendQuery(dst []byte, params []param, b *reactor.BeatInfo, ns, token string) []byte {
	dst = appendQueryStart(dst, ns)
	dst = e.appendParams(dst, params, b)
	return appendToken(dst, token)
}

// appendQueryStart appends "?namespaceId=<ns>&", or "?" when ns is empty.
func appendQueryStart(dst []byte, ns string) []byte {
	dst = append(dst, '?')
	if ns == "" {
		return dst
	}
	dst = append(dst, "namespaceId="...)
	dst = appendFormEscape(dst, ns)
	return append(dst, '&')
}

// appendToken appends "&accessToken=<token>", or nothing when token is
// empty.
func appendToken(dst []byte, token string) []byte {
	if token == "" {
		return dst
	}
	dst = append(dst, "&accessToken="...)
	return appendFormEscape(dst, token)
}

// appendParams appends params of b as "k=v&k=v".
func (e *encoder) appendParams(dst []byte, params []param, b *reactor.BeatInfo) []byte {
	for i, p := range params {
		if i > 0 {
			dst = append(dst, '&')
		}
		dst = append(dst, paramNames[p]...)
		switch p {
		case pServiceName:
			dst = appendFormEscape(dst, b.ServiceName)
		case pGroup:
			dst = appendFormEscape(dst, groupOf(b.ServiceName))
		case pCluster:
			dst = appendFormEscape(dst, cluster(b))
		case pIP:
			dst = appendFormEscape(dst, b.IP)
		case pPort:
			dst = strconv.AppendInt(dst, int64(b.Port), 10)
		case pWeight:
			dst = appendFormEscape(dst, appendNumber(e.json[:0], b.Weight))
		case pEnable, pHealthy, pEphemeral:
			dst = append(dst, "true"...)
		case pMetadata:
			e.json = e.appendMetadata(e.json[:0], b.Metadata)
			dst = appendFormEscape(dst, e.json)
		}
	}
	return dst
}

func cluster(b *reactor.BeatInfo) string {
	if b.Cluster == "" {
		return defaultCluster
	}
	return b.Cluster
}

func groupOf(service string) string {
	if i := strings.Index(service, reactor.GroupSeparator); i > 0 {
		return service[:i]
	}
	return defaultGroup
}

func periodMillis(b *reactor.BeatInfo) int64 {
	if b.Period <= 0 {
		return reactor.DefaultPeriod.Milliseconds()
	}
	return b.Period.Milliseconds()
}

// appendNumber appends f as a JSON number that Java's Double.parseDouble
// also reads: "1", "0.5", "1e+07". (Validate refuses NaN and infinities.)
func appendNumber(dst []byte, f float64) []byte {
	return strconv.AppendFloat(dst, f, 'g', -1, 64)
}

// appendBeatBody appends the form body of a full beat: beat=<BeatInfo JSON>.
func (e *encoder) appendBeatBody(dst []byte, b *reactor.BeatInfo) []byte {
	e.json = e.appendBeatJSON(e.json[:0], b)
	dst = append(dst, "beat="...)
	return appendFormEscape(dst, e.json)
}

// appendBeatJSON appends b as the Java client's BeatInfo JSON.
func (e *encoder) appendBeatJSON(dst []byte, b *reactor.BeatInfo) []byte {
	dst = append(dst, `{"port":`...)
	dst = strconv.AppendInt(dst, int64(b.Port), 10)
	dst = append(dst, `,"ip":`...)
	dst = appendJSONString(dst, b.IP)
	dst = append(dst, `,"weight":`...)
	dst = appendNumber(dst, b.Weight)
	dst = append(dst, `,"serviceName":`...)
	dst = appendJSONString(dst, b.ServiceName)
	dst = append(dst, `,"cluster":`...)
	dst = appendJSONString(dst, cluster(b))
	dst = append(dst, `,"metadata":`...)
	dst = e.appendMetadata(dst, b.Metadata)
	dst = append(dst, `,"scheduled":`...)
	dst = strconv.AppendBool(dst, b.Scheduled)
	dst = append(dst, `,"period":`...)
	dst = strconv.AppendInt(dst, periodMillis(b), 10)
	dst = append(dst, `,"stopped":`...)
	dst = strconv.AppendBool(dst, b.Stopped())
	return append(dst, '}')
}

// appendMetadata appends m as a JSON object. The server reads a map; the
// keys are sorted so that an instance's requests are the same bytes every
// time.
func (e *encoder) appendMetadata(dst []byte, m map[string]string) []byte {
	e.meta = e.meta[:0]
	for k, v := range m {
		e.meta = append(e.meta, [2]string{k, v})
	}
	slices.SortFunc(e.meta, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	dst = append(dst, '{')
	for i, kv := range e.meta {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, kv[0])
		dst = append(dst, ':')
		dst = appendJSONString(dst, kv[1])
	}
	clear(e.meta) // keep no strings alive from a pooled encoder
	return append(dst, '}')
}

const upperHex = "0123456789ABCDEF"

// appendJSONString appends s as a JSON string: \" \\ and the short
// escapes \b \t \n \f \r, other control characters as \u00XX, the rest as
// it is.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\r':
			dst = append(dst, '\\', 'r')
		default:
			dst = append(dst, '\\', 'u', '0', '0', upperHex[c>>4], upperHex[c&15])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// formSafe marks the bytes java.net.URLEncoder leaves alone: letters,
// digits and .-*_.
var formSafe = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range ".-*_" {
		t[c] = true
	}
	return t
}()

// appendFormEscape appends s form-escaped as java.net.URLEncoder.encode(s,
// "UTF-8") does: letters, digits and .-*_ stay, space becomes +, every
// other byte %XX. It reserves room for the worst case (every byte %XX)
// and fills it, so the loop does no append.
func appendFormEscape[S string | []byte](dst []byte, s S) []byte {
	n := len(dst)
	dst = slices.Grow(dst, 3*len(s))[:n+3*len(s)]
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case formSafe[c]:
			dst[n] = c
			n++
		case c == ' ':
			dst[n] = '+'
			n++
		default:
			dst[n], dst[n+1], dst[n+2] = '%', upperHex[c>>4], upperHex[c&15]
			n += 3
		}
	}
	return dst[:n]
}

// appendRequestID appends a UUID-shaped request id: the client's random
// prefix with a counter folded into its last 8 bytes.
func appendRequestID(dst []byte, prefix *[16]byte, n uint64) []byte {
	var u [16]byte
	u = *prefix
	for i := 0; i < 8; i++ {
		u[15-i] ^= byte(n >> (8 * i))
	}
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, lowerHex[c>>4], lowerHex[c&15])
	}
	return dst
}

const lowerHex = "0123456789abcdef"
