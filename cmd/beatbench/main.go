package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr))
}

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // the run failed
	exitUsage = 2 // bad command line
)

// realMain runs the command args name (run when args start with a flag or
// are empty) until it is done or interrupted, and returns the exit code.
// Errors go to stderr as one line.
func realMain(args []string, stdout, stderr io.Writer) int {
	name, rest := "run", args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, rest = args[0], args[1:]
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch name {
	case "run":
		var cfg config
		if cfg, err = parseFlags(rest, stderr); err == nil {
			err = run(ctx, cfg, stdout)
		}
	case "serve":
		var cfg serveConfig
		if cfg, err = parseServeFlags(rest, stderr); err == nil {
			err = serve(ctx, cfg, stdout)
		}
	default:
		err = fmt.Errorf("%w: unknown command %q: want run or serve", errUsage, name)
	}
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "beatbench: %v (see beatbench %s -h)\n", err, name)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "beatbench: %v\n", err)
		return exitError
	}
}
