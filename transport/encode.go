package transport

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/beatwheel/beatwheel/reactor"
)

// What the requests look like, and why. Everything here follows the Nacos
// 1.4.x Java client:
//
//   - NamingProxy.sendBeat puts namespaceId, serviceName, clusterName, ip
//     and port in a HashMap; reqApi adds accessToken (SecurityProxy) and
//     app. Query.initParams copies the map in iteration order and
//     toQueryUrl writes key=URLEncoder.encode(value). So the parameters
//     come in java.util.HashMap order, which depends on the key set: the
//     tables below are that order (TestJavaHashMapOrder recomputes them).
//     We do not send app (the Java client sends "unknown" unless told a
//     name); the order is the Java client's with app taken out.
//   - The beat body is the form beat=URLEncoder.encode(Jackson(BeatInfo)):
//     fields in the Java class's order (port, ip, weight, serviceName,
//     cluster, metadata, scheduled, period, stopped), doubles as
//     Double.toString writes them. A light beat has an empty form.
//   - registerService / deregisterService send their parameters in the
//     query with an empty form body.
//   - NamingProxy.builderHeader sends Client-Version, User-Agent,
//     RequestId (a UUID), Request-Module: Naming, Accept-Encoding gzip and
//     a header "Requester: Keep-Alive". We send the first four; we cannot
//     read gzip, and Requester means nothing to the server. exchangeForm
//     sets Content-Type application/x-www-form-urlencoded;charset=UTF-8.
//     Headers are in the Java Header map's sorted order.
//   - SecurityProxy.login posts username in the query and password in the
//     form to {contextPath}/v1/auth/users/login, with no Nacos headers.
//   - An empty cluster is sent as "DEFAULT" (Constants.DEFAULT_CLUSTER_NAME,
//     what NacosNamingService fills in); a service name without a group
//     registers with groupName DEFAULT_GROUP (NamingUtils.getGroupName).

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

type param uint8

const (
	pServiceName param = iota
	pNamespace
	pPort
	pCluster
	pIP
	pToken
	pGroup
	pMetadata
	pEnable
	pHealthy
	pWeight
	pEphemeral
)

var paramNames = [...]string{
	pServiceName: "serviceName",
	pNamespace:   "namespaceId",
	pPort:        "port",
	pCluster:     "clusterName",
	pIP:          "ip",
	pToken:       "accessToken",
	pGroup:       "groupName",
	pMetadata:    "metadata",
	pEnable:      "enable",
	pHealthy:     "healthy",
	pWeight:      "weight",
	pEphemeral:   "ephemeral",
}

// Java HashMap iteration orders (with app in the map, then dropped).
var (
	beatOrder          = []param{pServiceName, pNamespace, pPort, pCluster, pIP}
	beatTokenOrder     = []param{pNamespace, pPort, pCluster, pIP, pServiceName, pToken}
	registerOrder      = []param{pGroup, pMetadata, pNamespace, pPort, pEnable, pHealthy, pCluster, pIP, pWeight, pEphemeral, pServiceName}
	registerTokenOrder = []param{pMetadata, pIP, pWeight, pEphemeral, pServiceName, pToken, pGroup, pNamespace, pPort, pEnable, pHealthy, pCluster}
	deregisterOrder    = []param{pNamespace, pPort, pCluster, pIP, pEphemeral, pServiceName}
	deregisterTokOrder = []param{pNamespace, pPort, pCluster, pIP, pEphemeral, pServiceName, pToken}
)

// beatParams returns the parameter order of a beat sent with token ("" for
// none).
func beatParams(token string) []param {
	if token != "" {
		return beatTokenOrder
	}
	return beatOrder
}

// encoder holds the scratch space of one request's encoding. Not safe for
// concurrent use; the client pools them.
type encoder struct {
	json []byte
	keys []string
	uri  []byte
	body []byte
	wire []byte
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

// appendQuery appends "?k=v&..." in order; namespace and token are left
// out when empty.
func (e *encoder) appendQuery(dst []byte, order []param, b *reactor.BeatInfo, ns, token string) []byte {
	sep := byte('?')
	for _, p := range order {
		switch {
		case p == pNamespace && ns == "", p == pToken && token == "":
			continue
		}
		dst = append(dst, sep)
		sep = '&'
		dst = append(dst, paramNames[p]...)
		dst = append(dst, '=')
		switch p {
		case pServiceName:
			dst = appendFormEscape(dst, b.ServiceName)
		case pNamespace:
			dst = appendFormEscape(dst, ns)
		case pPort:
			dst = strconv.AppendInt(dst, int64(b.Port), 10)
		case pCluster:
			dst = appendFormEscape(dst, cluster(b))
		case pIP:
			dst = appendFormEscape(dst, b.IP)
		case pToken:
			dst = appendFormEscape(dst, token)
		case pGroup:
			dst = appendFormEscape(dst, groupOf(b.ServiceName))
		case pMetadata:
			e.json = e.appendMetadata(e.json[:0], b.Metadata)
			dst = appendFormEscapeBytes(dst, e.json)
		case pEnable, pHealthy, pEphemeral:
			dst = append(dst, "true"...)
		case pWeight:
			dst = appendFormEscapeBytes(dst, appendJavaDouble(e.json[:0], b.Weight))
		}
	}
	return dst
}

// appendBeatBody appends the form body of a full beat: beat=<BeatInfo JSON>.
func (e *encoder) appendBeatBody(dst []byte, b *reactor.BeatInfo) []byte {
	e.json = e.appendBeatJSON(e.json[:0], b)
	dst = append(dst, "beat="...)
	return appendFormEscapeBytes(dst, e.json)
}

// appendBeatJSON appends BeatInfo as Jackson writes the Java BeatInfo.
func (e *encoder) appendBeatJSON(dst []byte, b *reactor.BeatInfo) []byte {
	dst = append(dst, `{"port":`...)
	dst = strconv.AppendInt(dst, int64(b.Port), 10)
	dst = append(dst, `,"ip":`...)
	dst = appendJSONString(dst, b.IP)
	dst = append(dst, `,"weight":`...)
	dst = appendJavaDouble(dst, b.Weight)
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

// appendMetadata appends m as a JSON object with sorted keys (the Java
// client writes HashMap order; the server reads a map either way).
func (e *encoder) appendMetadata(dst []byte, m map[string]string) []byte {
	e.keys = e.keys[:0]
	for k := range m {
		e.keys = append(e.keys, k)
	}
	slices.Sort(e.keys)
	dst = append(dst, '{')
	for i, k := range e.keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, k)
		dst = append(dst, ':')
		dst = appendJSONString(dst, m[k])
	}
	clear(e.keys)
	return append(dst, '}')
}

const upperHex = "0123456789ABCDEF"

// appendJSONString appends s quoted as Jackson quotes it: \" \\ and the
// short escapes \b \t \n \f \r, other control characters as \u00XX, the
// rest as it is.
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

// formSafe marks the bytes java.net.URLEncoder leaves alone.
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

// appendFormEscape appends s as java.net.URLEncoder.encode(s, "UTF-8")
// does: letters, digits and .-*_ stay, space becomes +, every other byte
// %XX.
func appendFormEscape(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		dst = appendFormByte(dst, s[i])
	}
	return dst
}

func appendFormEscapeBytes(dst, s []byte) []byte {
	for _, c := range s {
		dst = appendFormByte(dst, c)
	}
	return dst
}

func appendFormByte(dst []byte, c byte) []byte {
	switch {
	case formSafe[c]:
		return append(dst, c)
	case c == ' ':
		return append(dst, '+')
	}
	return append(dst, '%', upperHex[c>>4], upperHex[c&15])
}

// appendJavaDouble appends f as Java's Double.toString writes it: "1.0",
// "0.5", "1.0E7", "1.0E-4".
func appendJavaDouble(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	}
	if a := math.Abs(f); a == 0 || (a >= 1e-3 && a < 1e7) {
		start := len(dst)
		dst = strconv.AppendFloat(dst, f, 'f', -1, 64)
		for _, c := range dst[start:] {
			if c == '.' {
				return dst
			}
		}
		return append(dst, '.', '0')
	}
	// Computerized scientific notation: d.dddE[-]n.
	var tmp [32]byte
	s := strconv.AppendFloat(tmp[:0], f, 'e', -1, 64) // -1.2345e-05
	e := 0
	for e < len(s) && s[e] != 'e' {
		e++
	}
	mant, exp := s[:e], s[e+1:]
	dst = append(dst, mant...)
	hasDot := false
	for _, c := range mant {
		hasDot = hasDot || c == '.'
	}
	if !hasDot {
		dst = append(dst, '.', '0')
	}
	dst = append(dst, 'E')
	if exp[0] == '-' {
		dst = append(dst, '-')
	}
	exp = exp[1:]
	for len(exp) > 1 && exp[0] == '0' {
		exp = exp[1:]
	}
	return append(dst, exp...)
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

// appendBeatWire appends a whole HTTP/1.1 beat request, as the pipeline
// writes it.
func (e *encoder) appendBeatWire(dst []byte, c *Client, host string, bt reactor.Beat, token string, reqID uint64) []byte {
	dst = append(dst, "PUT "...)
	dst = append(dst, c.cfg.ContextPath...)
	dst = append(dst, beatPath...)
	dst = e.appendQuery(dst, beatParams(token), bt.Info, c.cfg.Namespace, token)
	dst = append(dst, " HTTP/1.1\r\nHost: "...)
	dst = append(dst, host...)
	dst = append(dst, "\r\nClient-Version: "+javaClientVersion+
		"\r\nContent-Type: "+formContentType+
		"\r\nRequest-Module: Naming\r\nRequestId: "...)
	dst = appendRequestID(dst, &c.reqIDPrefix, reqID)
	dst = append(dst, "\r\nUser-Agent: "+userAgent+"\r\nContent-Length: "...)
	if bt.Light {
		return append(dst, "0\r\n\r\n"...)
	}
	e.body = e.appendBeatBody(e.body[:0], bt.Info)
	dst = strconv.AppendInt(dst, int64(len(e.body)), 10)
	dst = append(dst, "\r\n\r\n"...)
	return append(dst, e.body...)
}
