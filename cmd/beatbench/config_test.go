package main

import (
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseFlags(t *testing.T) {
	defaults := config{instances: 100_000, period: 5 * time.Second, duration: 30 * time.Second, tick: 10 * time.Millisecond, scheduler: "wheel", transport: "none"}
	with := func(f func(*config)) config {
		c := defaults
		f(&c)
		return c
	}
	tests := []struct {
		name    string
		args    []string
		want    config
		wantErr string
	}{
		{name: "defaults", args: nil, want: defaults},
		{name: "all set", args: []string{"-instances", "1000000", "-period=2s", "-duration=1m", "-tick=1ms", "-scheduler=russellluo", "-transport=noop"},
			want: config{instances: 1_000_000, period: 2 * time.Second, duration: time.Minute, tick: time.Millisecond, scheduler: "russellluo", transport: "noop"}},
		{name: "one instance", args: []string{"-instances=1"}, want: with(func(c *config) { c.instances = 1 })},
		{name: "negative instances", args: []string{"-instances=-5"}, wantErr: "-instances -5: need at least 1"},
		{name: "zero instances", args: []string{"-instances=0"}, wantErr: "-instances 0"},
		{name: "zero period", args: []string{"-period=0"}, wantErr: "-period 0s: must be positive"},
		{name: "negative period", args: []string{"-period=-1s"}, wantErr: "-period -1s"},
		{name: "zero duration", args: []string{"-duration=0s"}, wantErr: "-duration 0s"},
		{name: "zero tick", args: []string{"-tick=0s"}, wantErr: "-tick 0s"},
		{name: "unknown scheduler", args: []string{"-scheduler=heap"}, wantErr: `-scheduler "heap": want wheel or russellluo`},
		{name: "bad duration", args: []string{"-period=soon"}, wantErr: `invalid value "soon" for flag -period`},
		{name: "unknown transport", args: []string{"-transport=http"}, wantErr: `-transport "http": want none or noop`},
		{name: "unknown flag", args: []string{"-transprt=noop"}, wantErr: "flag provided but not defined: -transprt"},
		{name: "stray argument", args: []string{"run"}, wantErr: `unexpected argument "run"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseFlags(tc.args, io.Discard)
			if tc.wantErr != "" {
				require.ErrorIs(t, err, errUsage)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}
