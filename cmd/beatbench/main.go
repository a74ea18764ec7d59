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
	exitError = 1 // the run failed: server unreachable, login refused, unreadable report, ...
	exitUsage = 2 // bad command line
	exitBelow = 3 // fewer beats delivered than -min-delivered asks
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
			cfg.tty = isTerminal(stdout)
			err = runCommand(ctx, cfg, stdout)
		}
	case "serve":
		var cfg serveConfig
		if cfg, err = parseServeFlags(rest, stderr); err == nil {
			err = serve(ctx, cfg, stdout)
		}
	case "merge":
		var cfg mergeConfig
		if cfg, err = parseMergeFlags(rest, stderr); err == nil {
			err = merge(cfg, stdout)
		}
	case "plot":
		var cfg plotConfig
		if cfg, err = parsePlotFlags(rest, stderr); err == nil {
			err = plot(cfg, stdout)
		}
	case "help":
		return help(rest, stdout, stderr)
	default:
		err = fmt.Errorf("%w: unknown command %q: want run, serve, merge, plot or help", errUsage, name)
	}
	var below *belowError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &below):
		fmt.Fprintf(stderr, "beatbench: %v\n", err)
		return exitBelow
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "beatbench: %v (see beatbench %s -h)\n", err, name)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "beatbench: %v\n", err)
		return exitError
	}
}

// commandsUsage lists the commands; beatbench -h and beatbench help print
// it.
const commandsUsage = `Usage: beatbench [command] [flags]

Commands:
  run     keep instances beating against a Nacos registry and report (the default)
  serve   run the nacostest Nacos v1 naming server standalone
  merge   add up the JSON reports of the shards of one run
  plot    draw JSON reports as one HTML page of charts, on the same axes
  help    this list; help COMMAND shows the command's flags

`

// help prints the list of commands to stdout or, with a command name in
// args, that command's usage to stderr as COMMAND -h does.
func help(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stdout, commandsUsage)
		return exitOK
	}
	if args[0] == "help" {
		fmt.Fprint(stdout, commandsUsage)
		return exitOK
	}
	return realMain([]string{args[0], "-h"}, stdout, stderr)
}

// runCommand runs cfg, prints the summary, writes the JSON report and
// applies the -min-delivered gate.
func runCommand(ctx context.Context, cfg config, stdout io.Writer) error {
	rep, err := run(ctx, cfg, stdout)
	if err != nil {
		return err
	}
	return finish(rep, cfg.json, cfg.html, cfg.minDelivered)
}
