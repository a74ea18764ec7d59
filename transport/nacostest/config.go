package nacostest

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"
)

// ErrConfig is wrapped by the errors Start and Server.SetFaults return for an
// invalid Config or Faults.
var ErrConfig = errors.New("nacostest: invalid config")

// Config configures a Server. The zero value is a plain server on a free
// loopback port with the Nacos 1.4 defaults.
type Config struct {
	// Addr is the address to listen on. Default "127.0.0.1:0".
	Addr string

	// UnhealthyAfter is how long an ephemeral instance may go without a beat
	// before it is marked unhealthy. Default 15s, as in Nacos.
	UnhealthyAfter time.Duration

	// RemoveAfter is how long an ephemeral instance may go without a beat
	// before it is removed. It must not be shorter than UnhealthyAfter.
	// Default 30s, as in Nacos.
	RemoveAfter time.Duration

	// CheckInterval is how often the health sweeper runs. Default 1s.
	CheckInterval time.Duration

	// ClientBeatInterval is sent back as "clientBeatInterval" (in
	// milliseconds) in every beat answer. Default 5s. An instance whose
	// metadata holds "preserved.heart.beat.interval" (milliseconds) gets that
	// value instead, as in Nacos.
	ClientBeatInterval time.Duration

	// LightBeatEnabled is sent back as "lightBeatEnabled" in beat answers.
	// Nil means true, the Nacos 1.4 default.
	LightBeatEnabled *bool

	// Username and Password are the only valid credentials of the login
	// endpoints. When Username is not empty every /nacos/v1/ns/ request needs
	// a valid, unexpired accessToken (parameter, or Authorization: Bearer).
	// When it is empty, login accepts any credentials and no token is needed.
	Username, Password string

	// TokenTTL is how long an access token is valid. Default 5h (Nacos
	// 18000 s). The login answer reports it in whole seconds, rounded up.
	TokenTTL time.Duration

	// MaxRequestsPerConn is how many requests the server answers on one
	// connection: the last answer says "Connection: close" and the server
	// closes the connection, dropping requests pipelined behind it, as
	// Tomcat's maxKeepAliveRequests does under Nacos 1.x. 0 means
	// DefaultMaxRequestsPerConn (100, Tomcat's default); negative means no
	// limit.
	MaxRequestsPerConn int

	// IdleTimeout is how long a connection may wait for its next request
	// after an answer before the server closes it, as Tomcat's
	// keepAliveTimeout does (fasthttp's IdleTimeout: unlike Tomcat, the
	// wait for a connection's first request is not bounded). 0 means DefaultIdleTimeout (60 s, Tomcat's
	// default, which neither Spring Boot nor Nacos 1.x changes); negative
	// means never.
	IdleTimeout time.Duration

	// Faults are the faults injected from the start; see Server.SetFaults.
	Faults Faults

	// MaxRegistrationsPerSecond is how many registrations (POST
	// /nacos/v1/ns/instance) the server takes per second, plus a burst of
	// a tenth of a second's worth (at least 1); one beyond it is answered
	// HTTP 503 and not processed, and counted in
	// Counters.RegistrationsRefused. A full beat that registers an unknown
	// instance is not limited. Zero (the default) means no limit.
	MaxRegistrationsPerSecond float64

	// TLS, when set, makes the server speak HTTPS with this configuration.
	TLS *tls.Config

	// Logger receives debug logs of registrations, removals and logins, and
	// errors of the accept loop. Tokens and passwords are never logged. Nil
	// means silent.
	Logger *slog.Logger
}

// Faults are injected into naming requests (paths under /nacos/v1/ns/). Each
// request waits Latency, then is drawn for at most one of the other faults;
// a request drawn for a fault is not processed. The three rates must not add
// up to more than 1.
type Faults struct {
	// Latency is added before answering each naming request.
	Latency time.Duration

	// ErrorRate is the fraction [0,1] of requests answered HTTP 500 with a
	// short text body.
	ErrorRate float64

	// ResetRate is the fraction [0,1] of requests whose connection is closed
	// (reset) without an answer.
	ResetRate float64

	// MalformedRate is the fraction [0,1] of requests answered 200 with a
	// body that is not JSON.
	MalformedRate float64
}

// Defaults of Config's connection limits: those of Tomcat, under Nacos 1.x.
const (
	// DefaultMaxRequestsPerConn is Tomcat's maxKeepAliveRequests default.
	DefaultMaxRequestsPerConn = 100
	// DefaultIdleTimeout is Tomcat's keepAliveTimeout default: its
	// connectionTimeout, 60 s, when server.xml does not set it (Spring
	// Boot's embedded Tomcat, as Nacos 1.x runs it, does not).
	DefaultIdleTimeout = 60 * time.Second
)

const (
	defaultAddr               = "127.0.0.1:0"
	defaultUnhealthyAfter     = 15 * time.Second
	defaultRemoveAfter        = 30 * time.Second
	defaultCheckInterval      = time.Second
	defaultClientBeatInterval = 5 * time.Second
	defaultTokenTTL           = 5 * time.Hour
)

// withDefaults validates c and returns it with every default filled in.
func (c Config) withDefaults() (Config, error) {
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"UnhealthyAfter", c.UnhealthyAfter},
		{"RemoveAfter", c.RemoveAfter},
		{"CheckInterval", c.CheckInterval},
		{"ClientBeatInterval", c.ClientBeatInterval},
		{"TokenTTL", c.TokenTTL},
	} {
		if d.v < 0 {
			return c, fmt.Errorf("%w: %s %v is negative", ErrConfig, d.name, d.v)
		}
	}
	if c.Addr == "" {
		c.Addr = defaultAddr
	}
	if c.UnhealthyAfter == 0 {
		c.UnhealthyAfter = defaultUnhealthyAfter
	}
	if c.RemoveAfter == 0 {
		c.RemoveAfter = defaultRemoveAfter
	}
	if c.CheckInterval == 0 {
		c.CheckInterval = defaultCheckInterval
	}
	if c.ClientBeatInterval == 0 {
		c.ClientBeatInterval = defaultClientBeatInterval
	}
	if c.TokenTTL == 0 {
		c.TokenTTL = defaultTokenTTL
	}
	if c.MaxRequestsPerConn == 0 {
		c.MaxRequestsPerConn = DefaultMaxRequestsPerConn
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.RemoveAfter < c.UnhealthyAfter {
		return c, fmt.Errorf("%w: RemoveAfter %v is shorter than UnhealthyAfter %v", ErrConfig, c.RemoveAfter, c.UnhealthyAfter)
	}
	if c.ClientBeatInterval < time.Millisecond {
		return c, fmt.Errorf("%w: ClientBeatInterval %v is below 1ms", ErrConfig, c.ClientBeatInterval)
	}
	if c.Username == "" && c.Password != "" {
		return c, fmt.Errorf("%w: Password without Username", ErrConfig)
	}
	if err := c.Faults.validate(); err != nil {
		return c, err
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

func (f Faults) validate() error {
	if f.Latency < 0 {
		return fmt.Errorf("%w: Faults.Latency %v is negative", ErrConfig, f.Latency)
	}
	for _, r := range []struct {
		name string
		v    float64
	}{
		{"ErrorRate", f.ErrorRate},
		{"ResetRate", f.ResetRate},
		{"MalformedRate", f.MalformedRate},
	} {
		if math.IsNaN(r.v) || r.v < 0 || r.v > 1 {
			return fmt.Errorf("%w: Faults.%s %v is outside [0,1]", ErrConfig, r.name, r.v)
		}
	}
	if sum := f.ErrorRate + f.ResetRate + f.MalformedRate; sum > 1+1e-9 {
		return fmt.Errorf("%w: Faults rates add up to %v, more than 1", ErrConfig, sum)
	}
	return nil
}
