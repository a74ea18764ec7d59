package transport

import (
	"errors"
	"strconv"
)

// Sentinel errors. Errors from this package wrap one of them where one
// applies, so callers test them with errors.Is.
var (
	// ErrConfig is wrapped by every configuration error from New.
	ErrConfig = errors.New("transport: invalid config")
	// ErrClosed reports use of a Client after Close.
	ErrClosed = errors.New("transport: client closed")
	// ErrAuth reports a failed Nacos login. Its messages never hold the
	// password or a token.
	ErrAuth = errors.New("transport: nacos login failed")
	// ErrAuthBackoff reports a send that found no valid token while the
	// client waits before its next login, after a failed one (see
	// MinLoginBackoff). The error also wraps that login's error, so
	// errors.Is(err, ErrAuth) holds as well.
	ErrAuthBackoff = errors.New("transport: nacos login backing off")
	// ErrTimeout is wrapped by read, write and dial timeouts, and by
	// fasthttp.ErrNoFreeConns: no HostClient connection came free within
	// Config.WriteTimeout.
	ErrTimeout = errors.New("transport: timeout")
	// ErrBodyTooLarge reports an answer longer than
	// Config.MaxResponseBodySize.
	ErrBodyTooLarge = errors.New("transport: response body too large")
	// ErrConnection is wrapped by errors of a connection that broke or could
	// not be made (refused, reset, closed by the server). The client moves
	// to the next server after one. In ModePipeline a server that ends a
	// connection in an orderly way (an answer with "Connection: close",
	// EOF, a reset) gets the beats it did not answer once more on a new
	// connection, with no failover: only a beat whose second connection
	// ends too fails, with this error.
	ErrConnection = errors.New("transport: connection error")
)

// maxErrBody is the most bytes of an answer kept in an error.
const maxErrBody = 128

// StatusError is an answer with an HTTP status other than 200.
type StatusError struct {
	// Status is the HTTP status code.
	Status int
	// Body is the start of the answer, at most 128 bytes.
	Body string
}

// Error says the status and shows the body excerpt.
func (e *StatusError) Error() string {
	return "transport: nacos answered HTTP " + strconv.Itoa(e.Status) + ": " + strconv.Quote(e.Body)
}

func newStatusError(status int, body []byte) *StatusError {
	return &StatusError{Status: status, Body: excerpt(body)}
}

// excerpt returns the start of body, at most maxErrBody bytes, to keep in
// an error.
func excerpt(body []byte) string {
	if len(body) > maxErrBody {
		body = body[:maxErrBody]
	}
	return string(body)
}

// ResponseError is a 200 answer whose body does not parse.
type ResponseError struct {
	// Body is the start of the answer, at most 128 bytes.
	Body string
	// Err says what is wrong with it.
	Err error
}

// Error says why the body did not parse and shows an excerpt of it.
func (e *ResponseError) Error() string {
	return "transport: bad nacos answer " + strconv.Quote(e.Body) + ": " + e.Err.Error()
}

// Unwrap returns the parse error.
func (e *ResponseError) Unwrap() error { return e.Err }

func newResponseError(body []byte, err error) *ResponseError {
	return &ResponseError{Body: excerpt(body), Err: err}
}
