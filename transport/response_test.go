package transport

import (
	"strings"
	"testing"
	"time"

	"github.com/beatwheel/beatwheel/reactor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/valyala/fastjson"
)

func TestParseBeatResponse(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		want    reactor.BeatResult
		wantErr any
	}{
		{"ok", 200, okBeat, reactor.BeatResult{Code: reactor.CodeOK, ClientBeatInterval: 5 * time.Second, LightBeatEnabled: true}, nil},
		{"not found", 200, `{"clientBeatInterval":5000,"code":20404}`, reactor.BeatResult{Code: reactor.CodeNotFound, ClientBeatInterval: 5 * time.Second}, nil},
		{"missing fields", 200, `{}`, reactor.BeatResult{Code: reactor.CodeOK}, nil},
		{"interval 0", 200, `{"clientBeatInterval":0,"code":10200,"lightBeatEnabled":false}`, reactor.BeatResult{Code: reactor.CodeOK}, nil},
		{"negative interval", 200, `{"clientBeatInterval":-5}`, reactor.BeatResult{Code: reactor.CodeOK}, nil},
		{"light as string", 200, `{"lightBeatEnabled":"true"}`, reactor.BeatResult{Code: reactor.CodeOK, LightBeatEnabled: true}, nil},
		{"bad json", 200, `{"code":`, reactor.BeatResult{}, new(*ResponseError)},
		{"not object", 200, `[1]`, reactor.BeatResult{}, new(*ResponseError)},
		{"code not number", 200, `{"code":"x"}`, reactor.BeatResult{}, new(*ResponseError)},
		{"empty body", 200, ``, reactor.BeatResult{}, new(*ResponseError)},
		{"non-200", 500, strings.Repeat("x", 300), reactor.BeatResult{}, new(*StatusError)},
	}
	var p fastjson.Parser
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseBeatResponse(&p, tt.status, []byte(tt.body))
			if tt.wantErr == nil {
				assert.Equal(t, tt.want, got)
				return
			}
			require.Error(t, got.Err)
			// ErrorAs stores the error it finds in *tt.wantErr.
			require.ErrorAs(t, got.Err, tt.wantErr)
			assert.Zero(t, got.Code)
			if se, ok := tt.wantErr.(**StatusError); ok {
				assert.Equal(t, tt.status, (*se).Status)
				assert.Equal(t, tt.body[:maxErrBody], (*se).Body)
			}
		})
	}
}

func TestParseBeatResponseAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	var p fastjson.Parser
	body := []byte(okBeat)
	parseBeatResponse(&p, 200, body)
	assert.Zero(t, testing.AllocsPerRun(1000, func() { parseBeatResponse(&p, 200, body) }))
}

func FuzzParseBeatResponse(f *testing.F) {
	for _, s := range []string{okBeat, `{}`, `{"code":20404}`, `[`, ``, `{"clientBeatInterval":1e400}`} {
		f.Add(200, []byte(s))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		var p fastjson.Parser
		r := parseBeatResponse(&p, status, body)
		if r.Err != nil {
			if r.Code != 0 || r.ClientBeatInterval != 0 || r.LightBeatEnabled {
				t.Fatalf("error with fields: %+v", r)
			}
			// The body kept is at most maxErrBody bytes, and quoting turns
			// a byte into at most 4 characters (\xNN); the rest is a short
			// message and reason.
			if len(r.Err.Error()) > 4*maxErrBody+100 {
				t.Fatalf("error too long: %d", len(r.Err.Error()))
			}
			return
		}
		if status != 200 || r.ClientBeatInterval < 0 {
			t.Fatalf("bad result %+v for status %d", r, status)
		}
	})
}
