package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Duration formats d to about three significant digits: 5.571ms, 12.3ms,
// 2.345s.
func Duration(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond).String()
	case d >= time.Second:
		return d.Round(time.Millisecond).String()
	case d >= 10*time.Millisecond:
		return d.Round(100 * time.Microsecond).String()
	case d >= 10*time.Microsecond:
		return d.Round(time.Microsecond).String()
	default:
		return d.String()
	}
}

// Bytes formats n bytes in binary units: 512 B, 1.5 KiB, 212 MiB.
func Bytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatUint(n, 10) + " B"
	}
	v, i := float64(n)/unit, 0
	for v >= unit && i < 3 {
		v /= unit
		i++
	}
	prec := 1
	if v >= 100 {
		prec = 0
	}
	return strconv.FormatFloat(v, 'f', prec, 64) + " " + [...]string{"KiB", "MiB", "GiB", "TiB"}[i]
}

// Count formats a count with digits only, rounding a fractional one.
func Count(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }

// Shards formats shards as "0/3 2/3".
func Shards(shards []Shard) string {
	parts := make([]string, len(shards))
	for i, s := range shards {
		parts[i] = fmt.Sprintf("%d/%d", s.Index, s.Count)
	}
	return strings.Join(parts, " ")
}
