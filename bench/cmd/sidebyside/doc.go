// Command sidebyside runs two commands at the same time, several rounds,
// and compares the CPU each spends, for hosts too noisy for runs one after
// another. On this PVM virtual machine the host's contention is charged to
// the guest's processes as CPU time, in episodes of seconds to minutes, and
// inflates a whole 1M-instance bench run two- to fivefold; two runs at the
// same time share the episode, so their ratio holds where their absolute
// figures do not.
//
// Every second it reads each process's CPU time (the sum of
// /proc/PID/task/*/schedstat, Linux only). When both have ended it prints,
// per side, the median CPU per second over the side's last -tail seconds
// but the final -trim (its steady window, before it stops), and the last
// figure of -metric (default ns/beat) that the command printed; then their
// ratios, B over A. -delay-a starts A that much after B, so that a command
// with a longer set-up (B) has its window at the same time as A's. Sides
// do not swap: run A=B once to see the method's own spread.
//
//	cd bench && go test -c -o /tmp/bench.test .
//	go run ./cmd/sidebyside -rounds 3 -delay-a 10s \
//	  -a '/tmp/bench.test -test.run ^$ -test.bench KeepAlive/reactor$ -test.benchtime=1x -sizes=1000000 -window=20s' \
//	  -b '/tmp/bench.test -test.run ^$ -test.bench KeepAlive/reactor-churn$ -test.benchtime=1x -sizes=1000000 -window=20s'
//
// Commands are split on spaces, not run by a shell. Exit status: 0 ok, 1 a
// command failed or could not be measured, 2 bad flags.
package main
