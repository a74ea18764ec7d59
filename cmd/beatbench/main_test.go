package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestRealMainBadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"negative instances", []string{"-instances=-1"}, "-instances -1"},
		{"zero period", []string{"-period=0s"}, "-period 0s"},
		{"unknown scheduler", []string{"-scheduler=heap"}, `-scheduler "heap"`},
		{"unknown transport", []string{"-transport=grpc"}, `-transport "grpc"`},
		{"unknown flag", []string{"-nope"}, "flag provided but not defined: -nope"},
		{"not a number", []string{"-instances=lots"}, `invalid value "lots" for flag -instances`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			assert.Equal(t, exitUsage, realMain(tc.args, &stdout, &stderr))
			assert.Empty(t, stdout.String())
			assert.Contains(t, stderr.String(), tc.want)
			assert.True(t, strings.HasPrefix(stderr.String(), "beatbench: "), stderr.String())
			assert.Equal(t, 1, strings.Count(stderr.String(), "\n"), "one line: %q", stderr.String())
		})
	}
}

func TestRealMainHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	assert.Equal(t, exitOK, realMain([]string{"-h"}, &stdout, &stderr))
	assert.Contains(t, stderr.String(), "-instances")
	assert.Contains(t, stderr.String(), "-scheduler")
}
