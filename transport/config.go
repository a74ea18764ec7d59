package transport

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"
)

// Mode selects how a Client carries beats.
type Mode int

const (
	// ModeHostClient sends beats one by one through a fasthttp.HostClient.
	ModeHostClient Mode = iota
	// ModePipeline pipelines beats over a few persistent connections per
	// server.
	ModePipeline
)

// String returns "hostclient" or "pipeline".
func (m Mode) String() string {
	switch m {
	case ModeHostClient:
		return "hostclient"
	case ModePipeline:
		return "pipeline"
	}
	return "Mode(" + strconv.Itoa(int(m)) + ")"
}

// ParseMode parses the names String returns.
func ParseMode(s string) (Mode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "hostclient":
		return ModeHostClient, nil
	case "pipeline":
		return ModePipeline, nil
	}
	return 0, fmt.Errorf("%w: unknown mode %q (want hostclient or pipeline)", ErrConfig, s)
}

// PipelineRegisterConns is how many connections per server ModePipeline
// keeps, beside its pipelined ones, for Register, Deregister and login:
// more registrations in flight than that wait for a connection.
const PipelineRegisterConns = 16

// Defaults of Config's fields.
const (
	DefaultContextPath         = "/nacos"
	DefaultPipelineConns       = 16
	DefaultHostClientConns     = 512
	DefaultMaxInflightPerConn  = 1024
	DefaultTimeout             = 5 * time.Second
	DefaultMaxResponseBodySize = 64 << 10
	DefaultFailoverInterval    = time.Second
)

// Config configures a Client. The zero value of every field but Servers is
// usable: it means the default its comment gives.
type Config struct {
	// Servers lists the Nacos servers as "host:port". Required. The client
	// uses one at a time and moves to the next after a connection error
	// (at most once per FailoverInterval).
	Servers []string
	// FailoverInterval is the least time between two moves to the next
	// server: however many beats fail against dead servers, the client
	// moves at most once per interval (and logs it at most once a
	// second). Default 1 s.
	FailoverInterval time.Duration
	// ContextPath is the servers' context path. Default "/nacos".
	ContextPath string
	// Namespace is sent as namespaceId. Default "": no namespaceId
	// parameter, so the server uses "public".
	Namespace string
	// Username and Password are Nacos credentials. When Username is set
	// the client logs in and sends the accessToken it gets with every
	// request. Default "": no login. Neither the password nor the token is
	// ever logged or put in an error.
	Username, Password string
	// Mode selects how beats travel. Default ModeHostClient.
	Mode Mode
	// Conns is, in ModePipeline, the number of connections per server
	// (default 16) and, in ModeHostClient, the HostClient's MaxConns per
	// server (default 512). A server that ends each connection after a
	// number of requests (Tomcat's 100 under Nacos 1.x) bounds what one
	// connection has in flight to that: enough connections keep a million
	// instances' beats moving, where 4 left them queued behind each other.
	Conns int
	// MaxInflightPerConn bounds, in ModePipeline, the requests written on
	// one connection and not yet answered; a writer waits for answers
	// beyond it. Default 1024.
	MaxInflightPerConn int
	// MaxRequestsPerConn caps, in ModePipeline, the requests written on one
	// connection; the next connection is dialled ahead, when half of them
	// are written. Default 0: learn the server's limit (Tomcat under Nacos
	// 1.x ends a connection after 100 requests) from the answer that says
	// "Connection: close", or from a "Keep-Alive: max=N" header, and write
	// no more than that on a connection. Negative: no cap. Whatever the
	// cap, requests a server did not answer before it ended a connection
	// in an orderly way are sent once more on a new connection.
	MaxRequestsPerConn int
	// ReadTimeout bounds the wait for each answer. WriteTimeout bounds each
	// write, each dial with its TLS handshake, and the wait for a free
	// HostClient connection (ModeHostClient's beats; Register, Deregister
	// and login in either mode). Default 5 s each.
	ReadTimeout, WriteTimeout time.Duration
	// MaxResponseBodySize caps an answer's body; a longer one is an error
	// wrapping ErrBodyTooLarge. Default 64 KiB.
	MaxResponseBodySize int
	// TLS, when set, makes the client speak HTTPS with this configuration.
	// Default nil: plain HTTP.
	TLS *tls.Config
	// Logger receives connection, failover and login events. Default nil:
	// silent.
	Logger *slog.Logger
}

// withDefaults returns cfg with defaults filled in, or an error wrapping
// ErrConfig.
func (cfg Config) withDefaults() (Config, error) {
	bad := func(format string, args ...any) (Config, error) {
		return Config{}, fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...)
	}
	if len(cfg.Servers) == 0 {
		return bad("no servers")
	}
	servers := make([]string, len(cfg.Servers))
	for i, s := range cfg.Servers {
		host, port, err := net.SplitHostPort(s)
		if err != nil || host == "" || strings.Contains(s, "/") {
			return bad("server %q is not host:port", s)
		}
		if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
			return bad("server %q has a bad port", s)
		}
		servers[i] = s
	}
	cfg.Servers = servers
	switch {
	case cfg.ContextPath == "":
		cfg.ContextPath = DefaultContextPath
	case !strings.HasPrefix(cfg.ContextPath, "/") || strings.ContainsAny(cfg.ContextPath, "?# \r\n"):
		return bad("context path %q must start with / and hold no ?, # or space", cfg.ContextPath)
	}
	cfg.ContextPath = strings.TrimRight(cfg.ContextPath, "/")
	if cfg.Password != "" && cfg.Username == "" {
		return bad("password without username")
	}
	switch cfg.Mode {
	case ModeHostClient, ModePipeline:
	default:
		return bad("unknown mode %d", int(cfg.Mode))
	}
	if cfg.Conns < 0 || cfg.MaxInflightPerConn < 0 || cfg.ReadTimeout < 0 ||
		cfg.WriteTimeout < 0 || cfg.MaxResponseBodySize < 0 || cfg.FailoverInterval < 0 {
		return bad("negative Conns, MaxInflightPerConn, timeout, MaxResponseBodySize or FailoverInterval")
	}
	if cfg.Conns == 0 {
		cfg.Conns = DefaultHostClientConns
		if cfg.Mode == ModePipeline {
			cfg.Conns = DefaultPipelineConns
		}
	}
	if cfg.MaxInflightPerConn == 0 {
		cfg.MaxInflightPerConn = DefaultMaxInflightPerConn
	}
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = DefaultTimeout
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = DefaultTimeout
	}
	if cfg.MaxResponseBodySize == 0 {
		cfg.MaxResponseBodySize = DefaultMaxResponseBodySize
	}
	if cfg.FailoverInterval == 0 {
		cfg.FailoverInterval = DefaultFailoverInterval
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return cfg, nil
}
