package main

import (
	"io"
	"os"
	"strconv"
)

// isTerminal says whether w is a terminal (a character device), where
// progress is one line updated in place.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// termWidth returns the width of the terminal w, or 0 if unknown: $COLUMNS
// when set, else what the terminal says (where termSize can ask).
func termWidth(w io.Writer) int {
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	if f, ok := w.(*os.File); ok {
		return termSize(f.Fd())
	}
	return 0
}
