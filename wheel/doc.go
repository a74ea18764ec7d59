// Package wheel is a hierarchical timing wheel tuned for periodic timers:
// millions of heartbeats that each fire every few seconds, forever.
//
// It knows nothing of heartbeats. It arms entries for a time, hands expired
// entries to a Handler in batches, and lets the Handler re-arm them. The
// Scheduler interface is what the beat engine consumes; *Wheel implements it,
// and so does the adapter over github.com/RussellLuo/timingwheel in
// wheel/russellluo, so the two can be compared in one benchmark run.
//
// # The algorithm
//
// This is scheme 7 of Varghese and Lauck ("Hashed and Hierarchical Timing
// Wheels", 1987), the shape of Kafka's TimingWheel, with absolute tick
// numbers instead of per-level clocks.
//
// Time is counted in ticks of Config.Tick since the wheel started; an entry
// due at time at is due on tick d = ceil(at / Tick), so it never fires early.
// The wheel remembers cur, the tick it is processing. Level 0 is an array of
// Config.Slots lists: an entry whose delta d - cur is below Slots goes in
// list d mod Slots. Every level k above it has 64 lists, each as wide as the
// whole level below: an entry goes in the lowest level whose span holds its
// delta, at list (d >> (log2(Slots) + 6(k-1))) mod 64. There are enough
// levels (ten with the default shape) for any int64 delta, so there is no
// overflow list.
//
// As cur moves forward, each level-0 list is flushed whole when cur reaches
// it and handed to the Handler. When cur crosses the start of an upper-level list's span
// (cur mod Slots wraps to 0, and so on up), that list cascades: its entries
// are placed again, relative to the new cur, into lower levels. An entry
// cascades at most once per level it sits above level 0.
//
// # A worked example
//
// Take Tick = 10ms and the default Slots = 8192: level 0 spans 81.92s, a
// level-1 list spans 81.92s and level 1 spans 64 of them, about 87 minutes.
// At cur = 1000 (10s after start):
//
//   - A beat due at 15s is due on tick 1500: delta 500 < 8192, so it goes in
//     level-0 list 1500. It fires when cur reaches 1500, no cascade.
//   - Its Handler re-arms it for 20s: tick 2000, list 2000. A beat with any
//     period from 1s to 60s lives in level 0 forever and never cascades.
//   - An entry due in an hour, tick 1000 + 360000 = 361000: delta is above
//     8192 and below 8192*64, so it goes in level 1, list (361000 >> 13) mod 64
//     = 44. List 44 cascades at tick 44 << 13 = 360448, the first tick of the
//     81.92s span that holds 361000; the entry drops to level-0 list
//     361000 mod 8192 = 552 and fires 5.52s later.
//
// # What a tick costs
//
// The wheel goroutine does not wake every tick. A bitmap over level 0 and one
// 64-bit word per upper level tell it the next tick with anything to do
// (an occupied level-0 list or an occupied upper list that cascades), and it
// sleeps until then; an Add for an earlier tick wakes it. A loaded wheel
// (1M beats every 5s: 2000 per 10ms tick) wakes once per tick and hands
// out its list in batches of up to Config.MaxBatch; an idle one sleeps.
//
// Entries are 24-byte records in fixed chunks of a slab, addressed by
// index: no pointers, so the garbage collector never scans them. A list is
// an array of entry indices, and each entry knows its position in it:
// arming appends, cancelling swaps the last index into the hole. Draining a
// list reads the array in order and the entries it names independently, so
// with a million entries scattered over memory the CPU overlaps their cache
// misses, where a linked list would wait for each in turn (at a million
// entries the arrays cost well under half the linked lists' CPU per beat:
// bench/README.md has the figures and the command). Emptied level-0 arrays
// are kept for the next lists, so arming, firing and re-arming allocate
// nothing once the wheel has warmed up. A Timer is the entry's index and a
// generation, so a handle kept after Cancel is refused (ErrStale) instead
// of touching the slot's next occupant.
//
// Where an entry lives matters as much: a million entries are 24 MB, far
// beyond the CPU's caches, and one per cache line makes every beat a miss.
// Entries due on one tick, re-armed with one period, fire together for as
// long as they live, so Add places a new entry beside the entries due on
// its tick, and the wheel fires a tick's entries in memory order:
//
//   - A fresh entry comes from a run of slab entries reserved for its
//     tick, which doubles as the tick's list grows, up to 256 (6 KiB).
//   - A cancelled entry is kept free in the group of the tick it was due
//     on (its level-0 slot), and a group's free entries move with the
//     tick's entries when they are re-armed: they stay with the entries
//     they fired with. An entry added later for one of those ticks takes
//     one of them, the place of an entry that fired with the entries it
//     will fire with, so a population replaced one by one lies as a fresh
//     one does. When a tick fires, the unused tail of its run joins its
//     group too.
//   - Only when its group has no free entry does the slab grow (a new
//     run), and only while reserved and free entries stay within an
//     eighth of the slab; past that a new entry takes a free entry of the
//     nearest group that has one.
//   - A tick's list is sorted by slab index when it fires, if entries came
//     and went since it last fired (a check of its order otherwise), and
//     the entries, re-armed in that order, keep it: firing reads memory in
//     order, and the CPU's prefetcher runs ahead of it.
//
// bench/README.md has the engine's cost per beat fresh, after every entry
// was replaced and under steady churn, with the command for each.
//
// # Changing the bucket
//
// A slot's list is a bucket (bucket.go): push, remove and flush, as in
// Kafka's TimerTaskList, with no knowledge of ticks, levels or bitmaps. An
// entry says where it is (entry.loc: a bucket, or firing while its tick
// is handed out; entry.pos: its place in the bucket's array). levels
// (levels.go) calls the bucket in three places only: insert (push),
// remove (remove) and, when a tick fires or an upper slot cascades, flush.
// A flushed tick is handed out from its array front to back; an entry
// cancelled or re-armed meanwhile gets another loc and is skipped, so the
// bucket needs no cursor. To try another layout, change bucket.go and run
// its table test (TestBucket), the model test against a plain map
// (TestModel), levels.check's invariants (run after every step of the
// model test) and BenchmarkBeat for the cost.
//
// Time is the monotonic clock (time.Since the wheel's start): a wall-clock
// jump neither fires everything nor stalls the wheel. Config.Manual replaces
// it with a clock the caller moves through Advance, for deterministic tests.
package wheel
