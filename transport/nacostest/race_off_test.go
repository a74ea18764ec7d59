//go:build !race

package nacostest

const raceEnabled = false
