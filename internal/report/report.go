package report

import "time"

// Schema is the version of the JSON form of a Report that this package
// writes and reads. Version 2 added Window.Short, Failures.HTTP (taken out
// of Failures.Transport) and Series.
const Schema = 2

// Report is what one beatbench run, or a merge of shard runs, measured.
// Build one, call Derive, then render it with WriteText and WriteFile.
type Report struct {
	// Schema is the JSON form's version: Schema (2).
	Schema int `json:"schema"`
	// Config is the run's command line, without the password.
	Config Config `json:"config"`
	// Shards are the slices of the instance space the report covers: one
	// for a run (0/1 when not sharded), every merged one for a merge, in
	// index order.
	Shards []Shard `json:"shards"`
	// Start is when the run started (merge: the earliest start).
	Start time.Time `json:"start"`
	// End is when the run ended (merge: the latest end).
	End time.Time `json:"end"`
	// Interrupted says the run was stopped early (Ctrl-C, SIGTERM) and the
	// figures are the report so far (merge: any shard was).
	Interrupted bool `json:"interrupted"`
	// Window says which part of the run the figures cover.
	Window Window `json:"window"`
	// Beats counts the beats of the window.
	Beats Beats `json:"beats"`
	// SendLatency is the duration of each transport batch (one SendBeats
	// call, one or more beats) over the whole run. Nil without a reactor
	// (-transport none).
	SendLatency *Latency `json:"send_latency,omitempty"`
	// Lateness is how long after its due time each delivered beat of the
	// window left the scheduler.
	Lateness Latency `json:"lateness"`
	// Cost is what the window cost the process.
	Cost Cost `json:"cost"`
	// Registrations counts registration trouble over the whole run. Nil
	// without a reactor (-transport none).
	Registrations *Registrations `json:"registrations,omitempty"`
	// Server holds the embedded server's counters. Nil with -server, or
	// with a transport that sends nothing.
	Server *Server `json:"server,omitempty"`
	// Problems says what went wrong, one line each; empty when nothing did.
	Problems []string `json:"problems,omitempty"`
	// Series is the run second by second, as its progress lines showed
	// it: what the HTML report draws. Empty for a merge (plot the shards'
	// reports together instead).
	Series []Point `json:"series,omitempty"`
}

// Point is one interval of a run's Series, normally a second: rates are
// per second over the interval, the rest as at its end.
type Point struct {
	// T is the interval's end, from the run's Start.
	T time.Duration `json:"t_ns"`
	// Added is the instances beating at T (registered, with -server or
	// the embedded server).
	Added int `json:"added"`
	// Sent is beats handed to the transport per second.
	Sent float64 `json:"sent_per_s"`
	// OK is beats accepted (code 10200) per second.
	OK float64 `json:"ok_per_s"`
	// Failed is failed beats per second, by kind; Total is their sum.
	Failed FailureRates `json:"failed_per_s"`
	// Reregistered is re-registrations after a 20404 per second.
	Reregistered float64 `json:"reregistered_per_s"`
	// LatenessP99 is the 99th percentile of the interval's delivered
	// beats' lateness.
	LatenessP99 time.Duration `json:"lateness_p99_ns"`
	// SendP99 is the 99th percentile of the transport batches that ended
	// in the interval; 0 when none did or without a reactor.
	SendP99 time.Duration `json:"send_p99_ns"`
	// CPUPercent is the process's CPU over the interval, in percent of one
	// core.
	CPUPercent float64 `json:"cpu_percent"`
	// Switches is the process's context switches per second over the
	// interval (Cost.Switches).
	Switches float64 `json:"context_switches_per_s"`
	// RSS is the process's resident set size at T, in bytes.
	RSS uint64 `json:"rss_bytes"`
}

// FailureRates is failed beats per second by kind, as Failures counts
// them.
type FailureRates struct {
	// NotFound is beats answered 20404 per second.
	NotFound float64 `json:"not_found"`
	// Code is beats answered another Nacos code per second.
	Code float64 `json:"code"`
	// HTTP is beats answered with an HTTP error status per second.
	HTTP float64 `json:"http"`
	// Timeout is beats not answered in time per second.
	Timeout float64 `json:"timeout"`
	// Transport is beats lost to other errors per second.
	Transport float64 `json:"transport"`
	// Total is the sum of the above.
	Total float64 `json:"total"`
}

// Config is a run's command line. It holds no password, ever.
type Config struct {
	// Instances is the whole instance space, across every shard.
	Instances int `json:"instances"`
	// Services is the number of services the instances are spread over.
	Services int `json:"services"`
	// Period is the -period asked for. The instances beat at the period
	// in effect, Report.BeatPeriod: the server's clientBeatInterval when
	// it asks for another.
	Period time.Duration `json:"period_ns"`
	// Duration is how long the run was to last after adding.
	Duration time.Duration `json:"duration_ns"`
	// Ramp is registrations per second; 0: as fast as the server answers.
	Ramp float64 `json:"ramp"`
	// Tick is the scheduler's tick.
	Tick time.Duration `json:"tick_ns"`
	// Scheduler is "wheel" or "russellluo".
	Scheduler string `json:"scheduler"`
	// Transport is "nacos", "noop" or "none".
	Transport string `json:"transport"`
	// Servers are the -server addresses; empty: an embedded server (with
	// -transport nacos) or none at all.
	Servers []string `json:"servers,omitempty"`
	// Mode is "pipeline" or "hostclient" with -transport nacos, else "".
	Mode string `json:"mode,omitempty"`
	// Conns is connections per server; 0: the transport's default.
	Conns int `json:"conns"`
	// Senders is the most sender goroutines the reactor may run; 0: its default.
	Senders int `json:"senders"`
	// Namespace is the Nacos namespace id; "": the server's default.
	Namespace string `json:"namespace,omitempty"`
	// Username is the Nacos user; "": no login.
	Username string `json:"username,omitempty"`
	// MinDelivered is the -min-delivered gate in percent; 0: none.
	MinDelivered float64 `json:"min_delivered,omitempty"`
}

// Shard is one slice of the instance space: instances Index, Index+Count,
// Index+2*Count, ... below Config.Instances.
type Shard struct {
	// Index is the shard's number, from 0 to Count-1.
	Index int `json:"index"`
	// Count is the number of shards the instance space is cut into.
	Count int `json:"count"`
	// Instances is the number of instances in the shard.
	Instances int `json:"instances"`
	// Host is the name of the machine that ran it, if known.
	Host string `json:"host,omitempty"`
}

// Window says which part of the run the figures cover.
type Window struct {
	// AllAdded says every instance of the shard(s) was added.
	AllAdded bool `json:"all_added"`
	// Steady says the window starts one period after the last instance was
	// added (warm-up left out). False when the run ended before then: the
	// window then starts when the last instance was added or, if that never
	// happened, at the start.
	Steady bool `json:"steady"`
	// Added is the number of instances beating at the end.
	Added int `json:"added"`
	// Add is from the start to the last instance added; 0 if not all were.
	// Merge: the slowest shard's.
	Add time.Duration `json:"add_ns"`
	// Warmup is from the start to the window's start (adding plus a
	// period when Steady). Merge: the longest.
	Warmup time.Duration `json:"warmup_ns"`
	// Length is the window's length. Merge: the longest.
	Length time.Duration `json:"length_ns"`
	// Period is the period the instances beat at: Config.Period unless
	// the server's answers (clientBeatInterval) set another, which the
	// reactor adopts as a Nacos client does. Expected beats, the warm-up
	// and Short count in it. 0 in reports written before it was recorded:
	// Config.Period then. Merge: the shards' (they must agree).
	Period time.Duration `json:"period_ns,omitempty"`
	// Short says the window is shorter than two periods, too short to
	// judge delivery by: a beat due in it may leave just after it, and
	// one period's edges weigh as much as the rest. -min-delivered
	// refuses to judge such a window. Derived (Length < 2 * Period);
	// merge: any shard's was.
	Short bool `json:"short"`
}

// Beats counts the beats of a window.
type Beats struct {
	// Expected is the beats due in the window: instances * length / the
	// period in effect (BeatPeriod).
	Expected float64 `json:"expected"`
	// Sent is the beats handed to the transport. With -transport none it
	// equals OK: every fired beat counts as sent and accepted.
	Sent uint64 `json:"sent"`
	// OK is the beats the server accepted (code 10200): the delivered
	// beats, the ones Lateness describes.
	OK uint64 `json:"ok"`
	// Light is the beats sent as light beats (no body).
	Light uint64 `json:"light"`
	// Failed counts the beats not accepted, by kind.
	Failed Failures `json:"failed"`
	// DeliveredPct is 100 * OK / Expected; derived. -min-delivered gates on
	// it.
	DeliveredPct float64 `json:"delivered_pct"`
	// PerSecond is OK / window length; derived.
	PerSecond float64 `json:"per_second"`
}

// Failures counts beats not accepted, by kind.
type Failures struct {
	// NotFound is beats answered 20404 (unknown instance).
	NotFound uint64 `json:"not_found"`
	// Code is beats answered another code than 10200 or 20404.
	Code uint64 `json:"code"`
	// HTTP is beats answered with an HTTP error status (such as 500 or
	// 503) instead of a Nacos answer.
	HTTP uint64 `json:"http"`
	// Timeout is beats not answered in time.
	Timeout uint64 `json:"timeout"`
	// Transport is beats lost to any other error (connection refused or
	// reset, unparsable answer).
	Transport uint64 `json:"transport"`
	// Total is the sum of the above; derived.
	Total uint64 `json:"total"`
}

// Latency summarises a distribution of durations, to within 1.6 % (the
// internal/measure histogram). Merge: each percentile is the largest of the
// shards', an upper bound.
type Latency struct {
	// Count is the number of observations.
	Count uint64 `json:"count"`
	// P50 is the median.
	P50 time.Duration `json:"p50_ns"`
	// P90 is the 90th percentile.
	P90 time.Duration `json:"p90_ns"`
	// P99 is the 99th percentile.
	P99 time.Duration `json:"p99_ns"`
	// P999 is the 99.9th percentile.
	P999 time.Duration `json:"p999_ns"`
	// Max is the largest observation.
	Max time.Duration `json:"max_ns"`
}

// Cost is what a window cost the process (with an embedded server, the
// server's work is included).
type Cost struct {
	// CPU is the process CPU time (user + system, getrusage) in the window.
	CPU time.Duration `json:"cpu_ns"`
	// Allocs is the heap allocations in the window.
	Allocs uint64 `json:"allocs"`
	// Switches is the process's context switches in the window (getrusage,
	// voluntary and involuntary): a thread leaving the CPU to sleep, to
	// wait or because it was preempted. Each costs a sleep and a wake-up,
	// which some VMs price far above bare metal, so it explains CPU per
	// beat that differs between hosts. Merge: the sum.
	Switches uint64 `json:"context_switches"`
	// CPUPerBeat is CPU / delivered beats, in nanoseconds; derived.
	CPUPerBeat float64 `json:"cpu_per_beat_ns"`
	// CPUPercent is CPU / window length in percent of one core; derived.
	CPUPercent float64 `json:"cpu_percent"`
	// SwitchesPerSecond is Switches / window length; derived.
	SwitchesPerSecond float64 `json:"context_switches_per_s"`
	// AllocsPerBeat is Allocs / delivered beats; derived.
	AllocsPerBeat float64 `json:"allocs_per_beat"`
	// BytesPerInstance is the heap after adding minus before, after a GC,
	// per instance; 0 if not every instance was added. Merge: weighted by
	// the shards' instances.
	BytesPerInstance float64 `json:"bytes_per_instance"`
	// RSS is the process's resident set size at the end, in bytes. Merge:
	// the sum.
	RSS uint64 `json:"rss_bytes"`
}

// Registrations counts registration trouble over the whole run.
type Registrations struct {
	// Failed is registrations before the first beat that the server
	// refused or did not answer; those instances beat anyway.
	Failed uint64 `json:"failed"`
	// Reregistered is successful re-registrations after a 20404.
	Reregistered uint64 `json:"reregistered"`
	// ReregisterFailed is failed re-registrations.
	ReregisterFailed uint64 `json:"reregister_failed"`
}

// Server is what the embedded server counted.
type Server struct {
	// Beats is the beat requests it handled in the window, light and full.
	Beats uint64 `json:"beats"`
	// NotFound is the beats it answered 20404 in the window.
	NotFound uint64 `json:"not_found"`
	// Registrations is the registrations it accepted over the whole run.
	Registrations uint64 `json:"registrations"`
	// Healthy is the instances healthy at the end.
	Healthy int `json:"healthy"`
	// Unhealthy is the instances unhealthy at the end.
	Unhealthy int `json:"unhealthy"`
}

// Instances returns the number of instances the report covers: the sum
// over its shards.
func (r *Report) Instances() int {
	n := 0
	for _, s := range r.Shards {
		n += s.Instances
	}
	return n
}

// BeatPeriod is the period the instances beat at: Window.Period, or
// Config.Period when the report does not record it.
func (r *Report) BeatPeriod() time.Duration {
	if r.Window.Period > 0 {
		return r.Window.Period
	}
	return r.Config.Period
}
