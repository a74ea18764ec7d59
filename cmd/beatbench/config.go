package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/beatwheel/beatwheel/reactor"
	"github.com/beatwheel/beatwheel/transport"
)

// config is what one run does, from the command line.
type config struct {
	instances int           // the instance space; this run keeps shard.size(instances) of it alive
	services  int           // services the instances are spread over
	period    time.Duration // between two beats of an instance: -period
	// inEffect is the period the instances beat at when the server asks
	// for another (its clientBeatInterval, which the reactor adopts); 0:
	// period. Set by run once the load has started.
	inEffect  time.Duration
	duration  time.Duration // of the run, after adding
	ramp      float64       // registrations per second; 0: as fast as the server takes them
	tick      time.Duration // scheduler resolution
	scheduler string        // a name from schedulers
	transport string        // a name from transports
	shard     shard         // the slice of the -instances this run keeps alive
	gogc      int           // the garbage collector's GOGC during the run; 0: leave it

	// The choices scheduler and transport name; set by validate.
	sched scheduler
	trans transportChoice

	json         string  // write the report as JSON to this file too; "": don't
	html         string  // write the report as an HTML page to this file too; "": don't
	minDelivered float64 // percent of expected beats below which the run fails; 0: no gate
	tty          bool    // stdout is a terminal: one progress line, updated in place

	// For -transport nacos:
	servers  []string // host:port; none: an embedded nacostest server
	mode     transport.Mode
	conns    int
	senders  int
	ns       string
	username string
	password string
	keep     bool // leave the instances registered on -server at the end
}

// Defaults for a bare "go run ./cmd/beatbench": big enough to be
// interesting, done in about half a minute on a 2-core machine.
const (
	defaultInstances = 100_000
	defaultDuration  = 27 * time.Second
	// defaultGOGC is -gogc's default. beatbench's heap is almost all
	// instances that live for the whole run, and a beat makes little
	// garbage, so Go's default (100: collect when the heap has doubled)
	// mostly buys an RSS twice the live heap; 25 keeps it at about 1.25
	// times for a few percent more CPU (bench/README.md has the figures).
	defaultGOGC = 25
)

// errUsage is wrapped by every invalid flag value.
var errUsage = errors.New("invalid flags")

// runUsage is printed by run -h.
const runUsage = `Usage: beatbench [run] [flags]

Keeps N instances beating and reports what it costs. With no -server it
starts an embedded Nacos-compatible server (nacostest) and registers the
instances there first; against -server it deregisters them at the end
(-keep keeps them). Exit status: 0 ok, 1 the run failed, 2 bad flags,
3 delivered below -min-delivered (or a window too short to judge).

Flags:
`

// parseFlags parses the run command line into a config and validates it.
// -h prints usage to stderr and returns flag.ErrHelp.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	cfg := config{shard: noShard}
	var mode string
	fs := flag.NewFlagSet("beatbench run", flag.ContinueOnError)
	fs.IntVar(&cfg.instances, "instances", defaultInstances, "number of instances to keep alive (with -shard: across every shard)")
	fs.IntVar(&cfg.services, "services", 1000, "number of services the instances are spread over")
	fs.DurationVar(&cfg.period, "period", 5*time.Second, "beat period of every instance")
	fs.DurationVar(&cfg.duration, "duration", defaultDuration, "how long to run after adding the instances")
	fs.Float64Var(&cfg.ramp, "ramp", 0, "registrations per second (0: as fast as the server answers)")
	fs.DurationVar(&cfg.tick, "tick", reactor.DefaultTick, "scheduler tick")
	fs.StringVar(&cfg.scheduler, "scheduler", "wheel", "scheduler: "+strings.Join(schedulerNames(), " or "))
	fs.StringVar(&cfg.transport, "transport", "nacos", transportUsage())
	fs.Func("server", "Nacos server host:port; repeat or separate with commas for several (default: an embedded server)", func(s string) error {
		for a := range strings.SplitSeq(s, ",") {
			a = strings.TrimSpace(a)
			if err := checkHostPort(a); err != nil {
				return err
			}
			cfg.servers = append(cfg.servers, a)
		}
		return nil
	})
	fs.StringVar(&mode, "mode", "pipeline", "how beats travel: pipeline or hostclient")
	fs.IntVar(&cfg.conns, "conns", 0, "connections per server (0: the transport's default for -mode)")
	fs.IntVar(&cfg.senders, "senders", 0, "most reactor sender goroutines at once (0: the reactor's default)")
	fs.StringVar(&cfg.ns, "namespace", "", "Nacos namespace id (default: the server's, public)")
	fs.BoolVar(&cfg.keep, "keep", false, "with -server, leave the instances registered at the end (default: deregister them)")
	fs.StringVar(&cfg.username, "username", "", "Nacos user to log in as (default: $"+envUsername+")")
	fs.StringVar(&cfg.password, "password", "", "Nacos password, never printed (default: $"+envPassword+", which ps does not show)")
	fs.Func("shard", "run only shard `i/n` of -instances: instances i, i+n, i+2n, ... (0 <= i < n);\njob/n takes i from $"+envJobIndex+" (a Kubernetes Indexed Job)", func(s string) error {
		sh, err := parseShard(s, os.LookupEnv)
		cfg.shard = sh
		return err
	})
	fs.StringVar(&cfg.json, "json", "", "also write the report as JSON to `file` (schema: go doc ./internal/report)")
	fs.StringVar(&cfg.html, "html", "", "also write the report as one self-contained HTML page of charts to `file`")
	fs.IntVar(&cfg.gogc, "gogc", defaultGOGC, "the garbage collector's GOGC for the run: collect when the heap has grown this `percent` over the live heap (Go's default is 100)")
	fs.Float64Var(&cfg.minDelivered, "min-delivered", 0, "exit 3 when under this `percent` of expected beats is delivered in the steady window (0: never)")
	if err := parseOnlyFlags(fs, args, stderr, commandsUsage+runUsage); err != nil {
		return cfg, err
	}
	m, err := transport.ParseMode(mode)
	if err != nil {
		return cfg, fmt.Errorf("%w: -mode %q: want pipeline or hostclient", errUsage, mode)
	}
	cfg.mode = m
	if !isSet(fs, "services") {
		// The default is for the default -instances: fewer instances
		// get a service each.
		cfg.services = min(cfg.services, cfg.instances)
	}
	cfg.credentialsFromEnv(os.LookupEnv)
	err = cfg.validate()
	return cfg, err
}

// beating returns the number of instances this run keeps alive: its
// shard's share of -instances.
func (c config) beating() int { return c.shard.size(c.instances) }

// validate reports the first bad value in c, and sets c.sched and c.trans
// to the choices c.scheduler and c.transport name.
func (c *config) validate() error {
	switch {
	case c.instances < 1:
		return fmt.Errorf("%w: -instances %d: need at least 1", errUsage, c.instances)
	case c.services < 1:
		return fmt.Errorf("%w: -services %d: need at least 1", errUsage, c.services)
	case c.services > c.instances:
		return fmt.Errorf("%w: -services %d: more than the %d -instances", errUsage, c.services, c.instances)
	case c.period <= 0:
		return fmt.Errorf("%w: -period %v: must be positive", errUsage, c.period)
	case c.period < reactor.MinPeriod || c.period > reactor.MaxPeriod:
		return fmt.Errorf("%w: -period %v: outside the reactor's range [%v, %v]", errUsage, c.period, reactor.MinPeriod, reactor.MaxPeriod)
	case c.duration <= 0:
		return fmt.Errorf("%w: -duration %v: must be positive", errUsage, c.duration)
	case c.tick <= 0:
		return fmt.Errorf("%w: -tick %v: must be positive", errUsage, c.tick)
	case c.tick > c.period:
		return fmt.Errorf("%w: -tick %v: longer than -period %v", errUsage, c.tick, c.period)
	case c.ramp < 0:
		return fmt.Errorf("%w: -ramp %v: must not be negative", errUsage, c.ramp)
	case c.conns < 0:
		return fmt.Errorf("%w: -conns %d: must not be negative", errUsage, c.conns)
	case c.gogc < 1:
		return fmt.Errorf("%w: -gogc %d: need at least 1", errUsage, c.gogc)
	case c.senders < 0:
		return fmt.Errorf("%w: -senders %d: must not be negative", errUsage, c.senders)
	case c.password != "" && c.username == "":
		return fmt.Errorf("%w: -password without -username", errUsage)
	}
	if err := checkMinDelivered(c.minDelivered); err != nil {
		return err
	}
	if c.shard.size(c.instances) < 1 {
		return fmt.Errorf("%w: -shard %v of %d instances is empty", errUsage, c.shard, c.instances)
	}
	if err := c.checkWindow(); err != nil {
		return err
	}
	var ok bool
	if c.sched, ok = lookupScheduler(c.scheduler); !ok {
		return fmt.Errorf("%w: -scheduler %q: want %s", errUsage, c.scheduler, strings.Join(schedulerNames(), " or "))
	}
	if err := c.sched.checkTick(c.tick); err != nil {
		return fmt.Errorf("%w: -tick %v: %w", errUsage, c.tick, err)
	}
	if c.trans, ok = lookupTransport(c.transport); !ok {
		return fmt.Errorf("%w: -transport %q: want %s", errUsage, c.transport, strings.Join(transportNames(), " or "))
	}
	if c.transport != "nacos" && (len(c.servers) > 0 || c.username != "") {
		return fmt.Errorf("%w: -server and -username need -transport nacos", errUsage)
	}
	if c.keep && len(c.servers) == 0 {
		return fmt.Errorf("%w: -keep needs -server: the embedded server ends with the run", errUsage)
	}
	return nil
}

// checkWindow refuses a -min-delivered gate on a run whose steady window
// (-duration less the period of warm-up) would be shorter than two
// periods: too short to judge.
func (c *config) checkWindow() error {
	if c.minDelivered == 0 || c.duration-c.period >= minJudged*c.period {
		return nil
	}
	return fmt.Errorf("%w: -min-delivered with -duration %v: the steady window would be shorter than %d periods of %v; want -duration of at least %v",
		errUsage, c.duration, minJudged, c.period, (minJudged+1)*c.period)
}

// Names of the environment variables beatbench reads.
const (
	envUsername = "NACOS_USERNAME"
	envPassword = "NACOS_PASSWORD"
	envJobIndex = "JOB_COMPLETION_INDEX"
)

// credentialsFromEnv fills -username and -password, when not given, from
// NACOS_USERNAME and NACOS_PASSWORD: flags win. The password is taken from
// the environment only when there is a user to log in as (by flag or
// environment), so -username u with NACOS_PASSWORD set keeps the password
// out of ps.
func (c *config) credentialsFromEnv(lookup func(string) (string, bool)) {
	if c.username == "" {
		c.username, _ = lookup(envUsername)
	}
	if c.username != "" && c.password == "" {
		c.password, _ = lookup(envPassword)
	}
}

// isSet says whether the flag called name was given on the command line.
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// checkHostPort returns an error unless a is host:port with a port from
// 1 to 65535.
func checkHostPort(a string) error {
	_, port, err := net.SplitHostPort(a)
	if err != nil {
		return fmt.Errorf("%q is not host:port", a)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("%q: port %s is not from 1 to 65535", a, port)
	}
	return nil
}

// transportUsage describes the -transport choices.
func transportUsage() string {
	var sb strings.Builder
	sb.WriteString("how beats are kept and sent:")
	for _, t := range transports() {
		sb.WriteString("\n  " + t.name + ": " + t.about)
	}
	return sb.String()
}

// beatPeriod is the period the instances beat at: the server's interval
// when it asked for another than -period, else -period.
func (c config) beatPeriod() time.Duration {
	if c.inEffect > 0 {
		return c.inEffect
	}
	return c.period
}
