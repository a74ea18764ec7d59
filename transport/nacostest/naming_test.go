package nacostest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRegisterMakesInstanceVisible(t *testing.T) {
	s := start(t, Config{})
	c := newClient(t, s)

	before := time.Now()
	a := c.register("svc", "10.0.0.1", "8080", url.Values{
		"namespaceId": {"ns1"}, "groupName": {"grp"}, "clusterName": {"c1"},
		"weight": {"2.5"}, "enabled": {"false"}, "healthy": {"true"}, "ephemeral": {"true"},
		"metadata": {`{"version":"1.2","n":3}`},
	})
	require.Equal(t, http.StatusOK, a.status)
	assert.Equal(t, "ok", a.body)

	in, ok := s.Instance("ns1", "grp@@svc", "c1", "10.0.0.1", 8080)
	require.True(t, ok)
	assert.Equal(t, Instance{
		Namespace: "ns1", Service: "grp@@svc", Cluster: "c1", IP: "10.0.0.1", Port: 8080,
		Weight: 2.5, Healthy: true, Enabled: false, Ephemeral: true,
		Metadata: map[string]string{"version": "1.2", "n": "3"}, LastBeat: in.LastBeat,
	}, in)
	assert.False(t, in.LastBeat.Before(before.Add(-time.Millisecond)), "registration counts as a beat")
	assert.Equal(t, 1, s.Len())
	cs := s.Counters()
	assert.Equal(t, uint64(1), cs.Registrations)
	assert.Equal(t, 1, cs.Healthy)
	assert.Equal(t, 0, cs.Unhealthy)
}

func TestRegisterDefaults(t *testing.T) {
	s := start(t, Config{})
	c := newClient(t, s)
	require.Equal(t, http.StatusOK, c.register("svc", "10.0.0.1", "80", url.Values{"metadata": {"a=1,b=2"}, "enable": {"false"}}).status)

	// Bare name, empty namespace and cluster find the defaults.
	in, ok := s.Instance("", "svc", "", "10.0.0.1", 80)
	require.True(t, ok)
	assert.Equal(t, "public", in.Namespace)
	assert.Equal(t, "DEFAULT_GROUP@@svc", in.Service)
	assert.Equal(t, "DEFAULT", in.Cluster)
	assert.Equal(t, 1.0, in.Weight)
	assert.False(t, in.Enabled, "nacos-sdk-go sends enable=")
	assert.True(t, in.Healthy)
	assert.True(t, in.Ephemeral)
	assert.Equal(t, map[string]string{"a": "1", "b": "2"}, in.Metadata)

	_, ok = s.Instance("public", "DEFAULT_GROUP@@svc", "DEFAULT", "10.0.0.1", 80)
	assert.True(t, ok)
	_, ok = s.Instance("public", "other@@svc", "DEFAULT", "10.0.0.1", 80)
	assert.False(t, ok)
}

func TestReregisterKeepsHealthAndLastBeat(t *testing.T) {
	s := start(t, Config{})
	c := newClient(t, s)
	c.register("svc", "10.0.0.1", "80", nil)
	first, _ := s.Instance("", "svc", "", "10.0.0.1", 80)
	time.Sleep(2 * time.Millisecond)
	c.register("svc", "10.0.0.1", "80", url.Values{"weight": {"3"}})
	again, _ := s.Instance("", "svc", "", "10.0.0.1", 80)
	assert.Equal(t, 3.0, again.Weight)
	assert.Equal(t, first.LastBeat, again.LastBeat)
	assert.Equal(t, 1, s.Len())
	assert.Equal(t, uint64(2), s.Counters().Registrations)
}

func TestBeatKnownInstance(t *testing.T) {
	s := start(t, Config{})
	c := newClient(t, s)
	c.register("svc", "10.0.0.1", "8080", nil)

	beat := `{"port":8080,"ip":"10.0.0.1","weight":1.0,"serviceName":"DEFAULT_GROUP@@svc","cluster":"DEFAULT","metadata":{},"scheduled":false,"period":5000,"stopped":false}`
	for _, tc := range []struct {
		name string
		send func() answer
	}{
		{"light", func() answer { return c.lightBeat("DEFAULT_GROUP@@svc", "10.0.0.1", "8080") }},
		{"full", func() answer { return c.fullBeat("DEFAULT_GROUP@@svc", "10.0.0.1", "8080", beat) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, ok := s.Instance("", "svc", "", "10.0.0.1", 8080)
			require.True(t, ok)
			time.Sleep(2 * time.Millisecond)
			a := tc.send()
			require.Equal(t, http.StatusOK, a.status)
			assert.Equal(t, beatOK, a.body)
			assert.Equal(t, "application/json", a.ctype)
			after, _ := s.Instance("", "svc", "", "10.0.0.1", 8080)
			assert.True(t, after.LastBeat.After(before.LastBeat), "LastBeat advances")
		})
	}
	cs := s.Counters()
	assert.Equal(t, uint64(2), cs.Beats)
	assert.Equal(t, uint64(1), cs.LightBeats)
	assert.Equal(t, uint64(0), cs.NotFound)
	assert.Equal(t, uint64(1), cs.Registrations)
}

func TestLightBeatUnknownIs20404(t *testing.T) {
	s := start(t, Config{})
	c := newClient(t, s)
	a := c.lightBeat("svc", "10.0.0.9", "1")
	require.Equal(t, http.StatusOK, a.status)
	assert.Equal(t, beatNotFound, a.body)
	assert.Equal(t, 0, s.Len())
	cs := s.Counters()
	assert.Equal(t, uint64(1), cs.NotFound)
	assert.Equal(t, uint64(1), cs.Beats)
	assert.Equal(t, uint64(1), cs.LightBeats)
}

func TestFullBeatUnknownRegisters(t *testing.T) {
	s := start(t, Config{})
	c := newClient(t, s)
	// The beat's ip, port and cluster win over the parameters, as in Nacos.
	beat := `{"port":9090,"ip":"10.0.0.2","weight":0.5,"serviceName":"DEFAULT_GROUP@@svc","cluster":"c2","metadata":{"k":"v"},"scheduled":false,"period":5000,"stopped":false}`
	a := c.fullBeat("DEFAULT_GROUP@@svc", "1.1.1.1", "1", beat)
	require.Equal(t, http.StatusOK, a.status)
	assert.Equal(t, beatOK, a.body)

	in, ok := s.Instance("public", "DEFAULT_GROUP@@svc", "c2", "10.0.0.2", 9090)
	require.True(t, ok)
	assert.Equal(t, 0.5, in.Weight)
	assert.Equal(t, map[string]string{"k": "v"}, in.Metadata)
	assert.True(t, in.Healthy)
	assert.True(t, in.Enabled)
	assert.True(t, in.Ephemeral)
	assert.Equal(t, 1, s.Len())
	assert.Equal(t, uint64(1), s.Counters().Registrations)
}

func TestParamsInQueryOrForm(t *testing.T) {
	id := url.Values{"serviceName": {"svc"}, "ip": {"10.0.0.3"}, "port": {"7000"}}
	for _, tc := range []struct {
		name        string
		query, form url.Values
	}{
		{"query", id, nil},
		{"form", nil, id},
		{"split", url.Values{"serviceName": {"svc"}}, url.Values{"ip": {"10.0.0.3"}, "port": {"7000"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t, Config{})
			c := newClient(t, s)
			a := c.do(http.MethodPost, "/nacos/v1/ns/instance", tc.query, tc.form)
			require.Equal(t, http.StatusOK, a.status, a.body)
			_, ok := s.Instance("", "svc", "", "10.0.0.3", 7000)
			require.True(t, ok)

			a = c.do(http.MethodPut, "/nacos/v1/ns/instance/beat", tc.query, tc.form)
			require.Equal(t, http.StatusOK, a.status)
			assert.Equal(t, beatOK, a.body)

			a = c.do(http.MethodDelete, "/nacos/v1/ns/instance", tc.query, tc.form)
			require.Equal(t, http.StatusOK, a.status)
			assert.Equal(t, 0, s.Len())
		})
	}
}

func TestBadParamsAre400(t *testing.T) {
	s := start(t, Config{})
	c := newClient(t, s)
	for _, tc := range []struct {
		name   string
		method string
		path   string
		q      url.Values
		want   string
	}{
		{"register no serviceName", "POST", "/nacos/v1/ns/instance", url.Values{"ip": {"1.1.1.1"}, "port": {"1"}}, "Param 'serviceName' is required"},
		{"register no ip", "POST", "/nacos/v1/ns/instance", url.Values{"serviceName": {"s"}, "port": {"1"}}, "Param 'ip' is required"},
		{"register no port", "POST", "/nacos/v1/ns/instance", url.Values{"serviceName": {"s"}, "ip": {"1.1.1.1"}}, "Param 'port' is required"},
		{"register bad port", "POST", "/nacos/v1/ns/instance", url.Values{"serviceName": {"s"}, "ip": {"1.1.1.1"}, "port": {"x"}}, "For input string"},
		{"register port too big", "POST", "/nacos/v1/ns/instance", url.Values{"serviceName": {"s"}, "ip": {"1.1.1.1"}, "port": {"70000"}}, "For input string"},
		{"register bad weight", "POST", "/nacos/v1/ns/instance", url.Values{"serviceName": {"s"}, "ip": {"1.1.1.1"}, "port": {"1"}, "weight": {"heavy"}}, "For input string"},
		{"register weight too big", "POST", "/nacos/v1/ns/instance", url.Values{"serviceName": {"s"}, "ip": {"1.1.1.1"}, "port": {"1"}, "weight": {"10001"}}, "instance format invalid"},
		{"register bad metadata", "POST", "/nacos/v1/ns/instance", url.Values{"serviceName": {"s"}, "ip": {"1.1.1.1"}, "port": {"1"}, "metadata": {"oops"}}, "metadata format incorrect"},
		{"register empty group", "POST", "/nacos/v1/ns/instance", url.Values{"serviceName": {"@@s"}, "ip": {"1.1.1.1"}, "port": {"1"}}, "groupName@@serviceName"},
		{"register NUL", "POST", "/nacos/v1/ns/instance", url.Values{"serviceName": {"s"}, "ip": {"1.1\x00.1.1"}, "port": {"1"}}, "NUL"},
		{"deregister no ip", "DELETE", "/nacos/v1/ns/instance", url.Values{"serviceName": {"s"}, "port": {"1"}}, "Param 'ip' is required"},
		{"beat no serviceName", "PUT", "/nacos/v1/ns/instance/beat", url.Values{"ip": {"1.1.1.1"}, "port": {"1"}}, "Param 'serviceName' is required"},
		{"beat bad port", "PUT", "/nacos/v1/ns/instance/beat", url.Values{"serviceName": {"s"}, "ip": {"1.1.1.1"}, "port": {"-1"}}, "For input string"},
		{"beat bad beat", "PUT", "/nacos/v1/ns/instance/beat", url.Values{"serviceName": {"s"}, "beat": {"{not json"}}, "beat"},
		{"list no serviceName", "GET", "/nacos/v1/ns/instance/list", nil, "Param 'serviceName' is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := c.do(tc.method, tc.path, tc.q, nil)
			assert.Equal(t, http.StatusBadRequest, a.status)
			assert.Contains(t, a.body, tc.want)
		})
	}
	assert.Equal(t, 0, s.Len())
	assert.Equal(t, uint64(0), s.Counters().Registrations)
}

func TestOtherPaths(t *testing.T) {
	s := start(t, Config{})
	c := newClient(t, s)
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/", http.StatusNotFound},
		{"GET", "/nacos/v1/cs/configs", http.StatusNotFound},
		{"GET", "/nacos/v1/ns/nothing", http.StatusNotFound},
		{"GET", "/nacos/v1/ns/instance/beat", http.StatusMethodNotAllowed},
		{"PATCH", "/nacos/v1/ns/instance", http.StatusMethodNotAllowed},
		{"GET", "/nacos/v1/auth/login", http.StatusMethodNotAllowed},
	} {
		assert.Equal(t, tc.status, c.do(tc.method, tc.path, nil, nil).status, "%s %s", tc.method, tc.path)
	}
	assert.Equal(t, uint64(6), s.Counters().Requests)
}

func TestDeregister(t *testing.T) {
	s := start(t, Config{})
	c := newClient(t, s)
	c.register("svc", "10.0.0.1", "80", url.Values{"clusterName": {"c1"}})
	c.register("svc", "10.0.0.2", "80", url.Values{"clusterName": {"c1"}})

	q := url.Values{"serviceName": {"svc"}, "ip": {"10.0.0.1"}, "port": {"80"}, "clusterName": {"c1"}}
	a := c.do(http.MethodDelete, "/nacos/v1/ns/instance", q, nil)
	require.Equal(t, http.StatusOK, a.status)
	assert.Equal(t, "ok", a.body)
	_, ok := s.Instance("", "svc", "c1", "10.0.0.1", 80)
	assert.False(t, ok)
	assert.Equal(t, 1, s.Len())

	// Unknown instances are "ok" too, as in Nacos.
	a = c.do(http.MethodDelete, "/nacos/v1/ns/instance", q, nil)
	assert.Equal(t, "ok", a.body)
	cs := s.Counters()
	assert.Equal(t, uint64(2), cs.Deregistrations)
	assert.Equal(t, 1, cs.Healthy)

	assert.Equal(t, beatNotFound, c.do(http.MethodPut, "/nacos/v1/ns/instance/beat", q, nil).body)
}

func TestUnhealthyThenRemoved(t *testing.T) {
	s := start(t, Config{UnhealthyAfter: 60 * time.Millisecond, RemoveAfter: 500 * time.Millisecond, CheckInterval: 5 * time.Millisecond})
	c := newClient(t, s)
	c.register("svc", "10.0.0.1", "80", nil)
	c.register("svc", "10.0.0.2", "80", url.Values{"ephemeral": {"false"}})

	require.Eventually(t, func() bool {
		in, ok := s.Instance("", "svc", "", "10.0.0.1", 80)
		return ok && !in.Healthy
	}, 2*time.Second, 5*time.Millisecond)
	cs := s.Counters()
	assert.Equal(t, 1, cs.Unhealthy)
	assert.Equal(t, 1, cs.Healthy, "persistent instances are not swept")

	// A beat makes it healthy again.
	require.Equal(t, beatOK, c.lightBeat("svc", "10.0.0.1", "80").body)
	in, _ := s.Instance("", "svc", "", "10.0.0.1", 80)
	assert.True(t, in.Healthy)
	assert.Equal(t, 2, s.Counters().Healthy)

	require.Eventually(t, func() bool {
		_, ok := s.Instance("", "svc", "", "10.0.0.1", 80)
		return !ok
	}, 2*time.Second, 5*time.Millisecond)
	assert.Equal(t, 1, s.Len())
	cs = s.Counters()
	assert.Equal(t, 1, cs.Healthy)
	assert.Equal(t, 0, cs.Unhealthy)
	assert.Equal(t, beatNotFound, c.lightBeat("svc", "10.0.0.1", "80").body)
}

func TestRestartForgetsEverything(t *testing.T) {
	s := start(t, Config{})
	c := newClient(t, s)
	for _, ip := range []string{"10.0.0.1", "10.0.0.2", "10.0.0.3"} {
		c.register("svc", ip, "80", nil)
	}
	require.Equal(t, 3, s.Len())
	s.Restart()
	assert.Equal(t, 0, s.Len())
	assert.Equal(t, beatNotFound, c.lightBeat("svc", "10.0.0.1", "80").body)
	cs := s.Counters()
	assert.Equal(t, uint64(3), cs.Registrations, "counters are kept")
	assert.Equal(t, 0, cs.Healthy)
	assert.Equal(t, uint64(1), cs.NotFound)
}

func TestBeatAnswerSettings(t *testing.T) {
	off := false
	s := start(t, Config{ClientBeatInterval: 2 * time.Second, LightBeatEnabled: &off})
	c := newClient(t, s)
	c.register("svc", "10.0.0.1", "80", nil)
	c.register("svc", "10.0.0.2", "80", url.Values{"metadata": {`{"preserved.heart.beat.interval":"1000"}`}})
	assert.Equal(t, `{"clientBeatInterval":2000,"code":10200,"lightBeatEnabled":false}`, c.lightBeat("svc", "10.0.0.1", "80").body)
	assert.Equal(t, `{"clientBeatInterval":1000,"code":10200,"lightBeatEnabled":false}`, c.lightBeat("svc", "10.0.0.2", "80").body)
	assert.Equal(t, `{"clientBeatInterval":2000,"code":20404}`, c.lightBeat("svc", "10.0.0.3", "80").body)
}

func TestList(t *testing.T) {
	s := start(t, Config{})
	c := newClient(t, s)
	c.register("svc", "10.0.0.1", "80", url.Values{"clusterName": {"a"}, "metadata": {`{"k":"v"}`}})
	c.register("svc", "10.0.0.2", "80", url.Values{"clusterName": {"b"}, "healthy": {"false"}})
	c.register("svc", "10.0.0.3", "80", url.Values{"clusterName": {"a"}, "enabled": {"false"}})
	c.register("other", "10.0.0.4", "80", nil)

	type host struct {
		IP          string            `json:"ip"`
		Port        int               `json:"port"`
		Healthy     bool              `json:"healthy"`
		Enabled     bool              `json:"enabled"`
		Ephemeral   bool              `json:"ephemeral"`
		Weight      float64           `json:"weight"`
		ClusterName string            `json:"clusterName"`
		ServiceName string            `json:"serviceName"`
		InstanceID  string            `json:"instanceId"`
		Metadata    map[string]string `json:"metadata"`
	}
	type list struct {
		Name  string `json:"name"`
		Hosts []host `json:"hosts"`
	}
	get := func(q url.Values, header string) list {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, c.base+"/nacos/v1/ns/instance/list?"+q.Encode(), nil)
		require.NoError(t, err)
		if header != "" {
			req.Header.Set("User-Agent", header)
		}
		resp, err := c.hc.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var l list
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&l))
		return l
	}

	l := get(url.Values{"serviceName": {"DEFAULT_GROUP@@svc"}}, "Nacos-Java-Client:v1.4.1")
	assert.Equal(t, "DEFAULT_GROUP@@svc", l.Name)
	require.Len(t, l.Hosts, 2, "disabled instances are not listed")
	assert.Equal(t, host{
		IP: "10.0.0.1", Port: 80, Healthy: true, Enabled: true, Ephemeral: true, Weight: 1,
		ClusterName: "a", ServiceName: "DEFAULT_GROUP@@svc",
		InstanceID: "10.0.0.1#80#a#DEFAULT_GROUP@@svc", Metadata: map[string]string{"k": "v"},
	}, l.Hosts[0])
	assert.Equal(t, "10.0.0.2", l.Hosts[1].IP)
	assert.False(t, l.Hosts[1].Healthy)
	assert.Equal(t, map[string]string{}, l.Hosts[1].Metadata)

	l = get(url.Values{"serviceName": {"svc"}, "healthyOnly": {"true"}}, "")
	require.Len(t, l.Hosts, 1)
	assert.Equal(t, "svc", l.Hosts[0].ServiceName, "bare names for other clients")

	l = get(url.Values{"serviceName": {"svc"}, "clusters": {"b,c"}}, "")
	require.Len(t, l.Hosts, 1)
	assert.Equal(t, "10.0.0.2", l.Hosts[0].IP)

	l = get(url.Values{"serviceName": {"nothing"}}, "")
	assert.Equal(t, "DEFAULT_GROUP@@nothing", l.Name)
	assert.Empty(t, l.Hosts)
}

func TestMetrics(t *testing.T) {
	s := start(t, Config{})
	c := newClient(t, s)
	c.register("svc", "10.0.0.1", "80", nil)
	c.register("svc", "10.0.0.2", "80", nil)
	c.register("other", "10.0.0.1", "80", nil)
	a := c.do(http.MethodGet, "/nacos/v1/ns/operator/metrics", nil, nil)
	require.Equal(t, http.StatusOK, a.status)
	var m struct {
		Status        string `json:"status"`
		ServiceCount  int    `json:"serviceCount"`
		InstanceCount int    `json:"instanceCount"`
	}
	require.NoError(t, json.Unmarshal([]byte(a.body), &m))
	assert.Equal(t, "UP", m.Status)
	assert.Equal(t, 2, m.ServiceCount)
	assert.Equal(t, 3, m.InstanceCount)
}
