package transporttest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/beatwheel/beatwheel/reactor"
	"github.com/beatwheel/beatwheel/reactor/transporttest"
)

// httpTransport is a reactor.Transport on net/http, one request per beat:
// the whole of a new transport, written to show what the contract asks.
// It is no rival to transport.Client, which pipelines.
type httpTransport struct {
	base   string // "http://host:port/nacos/v1/ns/instance"
	client *http.Client
}

func newHTTPTransport(addr string) *httpTransport {
	return &httpTransport{base: "http://" + addr + "/nacos/v1/ns/instance", client: &http.Client{}}
}

// identity returns the parameters that name b's instance.
func identity(b *reactor.BeatInfo) url.Values {
	return url.Values{
		"serviceName": {b.ServiceName},
		"ip":          {b.IP},
		"port":        {strconv.Itoa(b.Port)},
		"clusterName": {b.Cluster},
		"ephemeral":   {"true"},
	}
}

// metadata returns b's metadata as the JSON object Nacos reads.
func metadata(b *reactor.BeatInfo) string {
	md, _ := json.Marshal(b.Metadata) // a map of strings always encodes
	if b.Metadata == nil {
		return "{}"
	}
	return string(md)
}

// do sends one request and returns the answer's body, or an error for a
// failed request or a status other than 200.
func (h *httpTransport) do(ctx context.Context, method string, q url.Values, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, h.base+path+"?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, body)
	}
	return body, err
}

func (h *httpTransport) Register(ctx context.Context, b *reactor.BeatInfo) error {
	q := identity(b)
	q.Set("weight", strconv.FormatFloat(b.Weight, 'f', -1, 64))
	q.Set("enabled", "true")
	q.Set("healthy", "true")
	q.Set("metadata", metadata(b))
	return ok(h.do(ctx, http.MethodPost, q, ""))
}

func (h *httpTransport) Deregister(ctx context.Context, b *reactor.BeatInfo) error {
	return ok(h.do(ctx, http.MethodDelete, identity(b), ""))
}

// ok returns err, or an error if body is not Nacos' "ok".
func ok(body []byte, err error) error {
	if err == nil && string(body) != "ok" {
		err = fmt.Errorf("answer %q, not ok", body)
	}
	return err
}

// SendBeats sends the beats one after another; a light beat carries only
// the instance's identity, a full one its description too.
func (h *httpTransport) SendBeats(ctx context.Context, beats []reactor.Beat, results []reactor.BeatResult) {
	for i, beat := range beats {
		q := identity(beat.Info)
		if !beat.Light {
			b := beat.Info
			q.Set("beat", fmt.Sprintf(`{"serviceName":%q,"ip":%q,"port":%d,"cluster":%q,"weight":%g,"metadata":%s,"scheduled":%t,"period":%d}`,
				b.ServiceName, b.IP, b.Port, b.Cluster, b.Weight, metadata(b), b.Scheduled, b.Period.Milliseconds()))
		}
		body, err := h.do(ctx, http.MethodPut, q, "/beat")
		var answer struct {
			Code               int   `json:"code"`
			ClientBeatInterval int64 `json:"clientBeatInterval"`
			LightBeatEnabled   bool  `json:"lightBeatEnabled"`
		}
		if err == nil {
			err = json.Unmarshal(body, &answer)
		}
		if err != nil {
			results[i] = reactor.BeatResult{Err: err}
			continue
		}
		results[i] = reactor.BeatResult{
			Code:               answer.Code,
			ClientBeatInterval: time.Duration(answer.ClientBeatInterval) * time.Millisecond,
			LightBeatEnabled:   answer.LightBeatEnabled,
		}
	}
}

// TestHTTPTransport: a transport of a hundred lines passes the contract.
func TestHTTPTransport(t *testing.T) {
	transporttest.Run(t, transporttest.Config{New: func(t *testing.T, addr string) reactor.Transport {
		h := newHTTPTransport(addr)
		t.Cleanup(h.client.CloseIdleConnections)
		return h
	}})
}
