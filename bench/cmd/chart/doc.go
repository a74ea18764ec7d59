// Command chart draws bench's headline comparison, the ways to keep a
// million beats alive, as a PNG: CPU per beat and memory per instance of
// our wheel and reactor against RussellLuo/timingwheel, time.AfterFunc
// and a goroutine per instance.
//
// It reads the figures from a small CSV (comparison.csv beside bench's
// README), whose comment lines say which command produced them, on what
// machine and when; -bench fills that CSV from the output of the bench
// run first:
//
//	cd bench
//	go test -run '^$' -bench KeepAlive -benchtime=1x -timeout 60m | tee /tmp/bench.txt
//	go run ./cmd/chart -bench /tmp/bench.txt -date 2026-11-25   # refill comparison.csv
//	go run ./cmd/chart -o ../docs/comparison.png                # draw it
//
// Exit status: 0 ok, 1 an unreadable or incomplete input, 2 bad flags.
package main
