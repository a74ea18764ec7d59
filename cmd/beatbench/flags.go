package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// parseSet parses args with fs, silencing the flag package's own output.
// -h prints usage, then fs's flags, to stderr and returns flag.ErrHelp;
// any other error wraps errUsage.
func parseSet(fs *flag.FlagSet, args []string, stderr io.Writer, usage string) error {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(stderr)
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
		return err
	}
	if err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	return nil
}

// parseOnlyFlags parses args with fs as parseSet does and refuses any
// argument that is not a flag.
func parseOnlyFlags(fs *flag.FlagSet, args []string, stderr io.Writer, usage string) error {
	if err := parseSet(fs, args, stderr, usage); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	return nil
}
