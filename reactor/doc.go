// Package reactor is beatwheel's engine: it keeps service instances alive in
// a Nacos-compatible registry by beating for each on its period, with the
// semantics of the Nacos 1.x client's BeatReactor and none of its per-beat
// cost.
//
// Register starts an instance as the Nacos client's
// NamingService.registerInstance does (register it, then beat for it) and
// Deregister ends it (stop beating, then deregister). Add and Remove only
// start and stop the beats: Add registers nothing (a Nacos 1.4 server
// registers the instance its first full beat describes) and Remove
// deregisters nothing (the server drops the instance when its beats stop
// counting).
//
// An instance is a BeatInfo, keyed "service#ip#port" in a lock-free map.
// Every beat is an entry in one scheduler (by default a wheel.Wheel). Due
// beats leave the scheduler in batches and go, in jobs of Config.BatchSize,
// to Config.Senders sender goroutines, started by New, that call the
// Transport: a blocking Transport gets that many sends at once. For each
// answer the Reactor does what BeatReactor.BeatTask does:
//
//   - it adopts the server's clientBeatInterval when it is above zero
//     (raised to Config.MinInterval);
//   - it follows the server's lightBeatEnabled: later beats are light (no
//     BeatInfo body) while the server allows it. The permission is one for
//     the whole Reactor, as in the Java client, but it is read from
//     accepted answers only (a 20404 answer carries none), and whether an
//     instance may use it is the instance's own state: after a 20404 or
//     a failed beat its beats are full until one is accepted, so a
//     restarted Nacos 1.4 registers it from its next beat, one period
//     later, whether the restart answered 20404 or broke the connection.
//     A beat whose connection broke (not one that timed out) also makes
//     every beat of the next period full, whichever instance it is for:
//     a server that restarted empty then learns every instance from its
//     first beat, and none waits a period behind a 20404. A 20404 within
//     a period after those full beats (a server that registers more
//     slowly than the beats come) keeps every beat full for another
//     period. So does a job whose beats were answered 20404 by a quarter
//     or more (eight at least), with no broken connection: the server
//     forgot many instances at once (it restarted behind a proxy that
//     kept the connections, or a cluster node lost its share);
//   - on code 20404 (the server forgot the instance) it registers the
//     instance again, at a rate over all instances that starts at
//     Config.ReregisterRate and follows the server (AIMD, as TCP: up
//     while registrations succeed quickly, halved when they fail or slow
//     down, within ReregisterMinRate and ReregisterMaxRate);
//   - on an error it counts the failure by kind, logs it (at most a line a
//     second), and beats again next period.
//
// A Transport is three methods (see Transport; transport.Client is the
// Nacos v1 one). Package reactor/transporttest is their contract as tests:
// a new Transport that passes transporttest.Run behaves as the Reactor
// expects, and BeatResult.Kind says how the Reactor reads its errors.
//
// Each instance keeps its phase: its next beat is due at the first point of
// its own schedule (its first due time plus whole periods) after now. No
// drift, no catch-up beat, and after a stall of any length (a GC, VM or
// container pause) the beats are as spread over the period as before it. A
// beat handed out more than Config.SkipLate behind its schedule is skipped
// (Stats.Skipped), never twice in a row. A beat whose BeatInfo was stopped
// is never sent, even if it was already queued to a sender. The
// first beat of a new instance comes at a point in its first period fixed by
// a hash of its key, so a million Adds do not become a million simultaneous
// requests. Adding a key that exists stops the old BeatInfo first (Nacos fix
// #1733); a beat already in flight for a removed or replaced BeatInfo is
// never followed by another.
//
// The default scheduler is a *wheel.Wheel ticking every DefaultTick
// (50 ms): a beat goes out within a tick of its due time, and the wheel's
// goroutine wakes once a tick, whatever the beats due. Most of the
// engine's CPU is those wake-ups and the senders' that follow, not the
// beats, so the tick is coarser than wheel.DefaultTick; no period may be
// shorter than the scheduler's tick.
//
// The scheduler's goroutine re-arms each beat as it hands it to a sender,
// so the schedule does not wait for the answer (a new clientBeatInterval
// re-arms it once more). A send slower than the period therefore overlaps
// the instance's next beat, where the Java client would wait and drift;
// the queue to the senders is bounded, so a slow server slows the hand-off
// (beats get late) instead of piling up sends.
//
// Firing a beat touches only the scheduler entry, whose data carries the
// period, and an 8-byte slot indexed like it that points at the BeatInfo;
// the BeatInfo (96 bytes) is read by the Transport alone while every
// instance is healthy; the per-instance state (unknown to the server,
// failing, skipped) lives in bits of the BeatInfo, read per beat only while
// some instance has one set, and reported to Config.Observer on each
// change. A *wheel.Wheel keeps entries due together side by side, so the
// slots of one tick's beats lie side by side too. The Handler re-arms a
// chunk of 64 beats under one scheduler lock. Nothing here allocates per
// beat: jobs come from a pool, counters are added once per job, and
// the scheduler's entries are pointer-free. A beat costs O(1) CPU, however
// many instances there are, and an instance's memory is its BeatInfo, map
// entry, slot and wheel entry, nothing per beat; bench/README.md has
// both at a million instances, with the command that measures them. The
// map's table, like a Go map's, never shrinks: a Reactor whose population
// fell keeps the table of its largest, and Close allocates nothing to
// stop every instance. Churn
// does not scatter the beats: the wheel gives a new instance's entry the
// place of a removed one that was due with the same beats (bench/'s
// reactor, reactor-replaced and reactor-churn rows measure a fresh
// population, one whose every instance was replaced, and one under steady
// churn).
package reactor
