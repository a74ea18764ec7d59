package nacostest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// listHost is one entry of "hosts" in a list answer, as Nacos 1.4 writes it.
type listHost struct {
	IP          string            `json:"ip"`
	Port        int               `json:"port"`
	Valid       bool              `json:"valid"`
	Healthy     bool              `json:"healthy"`
	Marked      bool              `json:"marked"`
	InstanceID  string            `json:"instanceId"`
	Metadata    map[string]string `json:"metadata"`
	Enabled     bool              `json:"enabled"`
	Weight      float64           `json:"weight"`
	ClusterName string            `json:"clusterName"`
	ServiceName string            `json:"serviceName"`
	Ephemeral   bool              `json:"ephemeral"`
}

type listAnswer struct {
	Hosts           []listHost        `json:"hosts"`
	Dom             string            `json:"dom"`
	Name            string            `json:"name"`
	CacheMillis     int64             `json:"cacheMillis"`
	LastRefTime     int64             `json:"lastRefTime"`
	Checksum        string            `json:"checksum"`
	UseSpecifiedURL bool              `json:"useSpecifiedURL"`
	Clusters        string            `json:"clusters"`
	Env             string            `json:"env"`
	Metadata        map[string]string `json:"metadata"`
}

type emptyListAnswer struct {
	Name        string     `json:"name"`
	Clusters    string     `json:"clusters"`
	CacheMillis int64      `json:"cacheMillis"`
	Hosts       []listHost `json:"hosts"`
}

// list answers GET /nacos/v1/ns/instance/list like Nacos 1.4
// InstanceController.list: the enabled instances of the service in the
// given clusters (all when empty), only healthy ones with healthyOnly=true.
// It walks every shard, so it costs O(instances); it is not a hot path.
func (s *Server) list(ctx *fasthttp.RequestCtx) {
	var kb [256]byte
	prefix, msg := appendServiceKey(kb[:0], ctx)
	if msg != "" {
		writeText(ctx, fasthttp.StatusBadRequest, msg)
		return
	}
	_, service, _, _, _ := splitKey(string(prefix))
	clusters := string(param(ctx, "clusters"))
	var want []string
	if clusters != "" {
		want = strings.Split(clusters, ",")
	}
	healthyOnly := string(param(ctx, "healthyOnly")) == "true"
	cacheMillis := int64(3000) // Nacos defaultCacheMillis; push clients get 10 s
	if port, ok := parsePort(param(ctx, "udpPort")); ok && port > 0 {
		cacheMillis = 10000
	}
	// Nacos gives Java clients 1.0+ grouped names, everyone else bare ones.
	agent := ctx.Request.Header.Peek("Client-Version")
	if len(agent) == 0 {
		agent = ctx.UserAgent()
	}
	grouped := bytes.HasPrefix(agent, []byte("Nacos-Java-Client:v")) && !bytes.HasPrefix(agent, []byte("Nacos-Java-Client:v0."))
	bare := service
	if i := strings.Index(service, groupSep); i >= 0 {
		bare = service[i+len(groupSep):]
	}
	shownService := bare
	if grouped {
		shownService = service
	}

	keyPrefix := string(prefix)
	var found []Instance
	for i := range s.store.shards {
		sh := &s.store.shards[i]
		sh.mu.Lock()
		sh.eachLocked(func(in *instance) {
			if strings.HasPrefix(in.key, keyPrefix) {
				found = append(found, in.snapshot(s.start))
			}
		})
		sh.mu.Unlock()
	}
	ctx.SetStatusCode(fasthttp.StatusOK)
	ctx.SetContentType(contentJSON)
	if len(found) == 0 {
		b, _ := json.Marshal(emptyListAnswer{Name: service, Clusters: clusters, CacheMillis: cacheMillis, Hosts: []listHost{}})
		ctx.SetBody(b)
		return
	}
	slices.SortFunc(found, func(a, b Instance) int {
		return cmp.Or(cmp.Compare(a.Cluster, b.Cluster), cmp.Compare(a.IP, b.IP), cmp.Compare(a.Port, b.Port))
	})
	hosts := []listHost{}
	sum := fnv.New64a()
	for _, in := range found {
		if !in.Enabled || (healthyOnly && !in.Healthy) || (want != nil && !slices.Contains(want, in.Cluster)) {
			continue
		}
		md := in.Metadata
		if md == nil {
			md = map[string]string{}
		}
		id := in.IP + "#" + strconv.Itoa(in.Port) + "#" + in.Cluster + "#" + service
		hosts = append(hosts, listHost{
			IP: in.IP, Port: in.Port, Valid: in.Healthy, Healthy: in.Healthy,
			InstanceID: id, Metadata: md, Enabled: in.Enabled, Weight: in.Weight,
			ClusterName: in.Cluster, ServiceName: shownService, Ephemeral: in.Ephemeral,
		})
		_, _ = sum.Write([]byte(id + strconv.FormatBool(in.Healthy) + strconv.FormatFloat(in.Weight, 'g', -1, 64)))
	}
	b, _ := json.Marshal(listAnswer{
		Hosts: hosts, Dom: shownService, Name: service, CacheMillis: cacheMillis,
		LastRefTime: time.Now().UnixMilli(), Checksum: strconv.FormatUint(sum.Sum64(), 16),
		Clusters: clusters, Env: string(param(ctx, "env")), Metadata: map[string]string{},
	})
	ctx.SetBody(b)
}

// metrics answers GET /nacos/v1/ns/operator/metrics, which clients use as a
// health check ("status":"UP"). It walks every shard to count services.
func (s *Server) metrics(ctx *fasthttp.RequestCtx) {
	services := map[string]struct{}{}
	for i := range s.store.shards {
		sh := &s.store.shards[i]
		sh.mu.Lock()
		sh.eachLocked(func(in *instance) {
			ns, svc, _, _, _ := splitKey(in.key)
			services[ns+"\x00"+svc] = struct{}{}
		})
		sh.mu.Unlock()
	}
	n := s.Len()
	b := make([]byte, 0, 256)
	b = append(b, `{"status":"UP","serviceCount":`...)
	b = strconv.AppendInt(b, int64(len(services)), 10)
	b = append(b, `,"load":0.0,"mem":0.0,"responsibleServiceCount":`...)
	b = strconv.AppendInt(b, int64(len(services)), 10)
	b = append(b, `,"instanceCount":`...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, `,"cpu":0.0,"responsibleInstanceCount":`...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, `,"raftNotifyTaskCount":0}`...)
	ctx.SetStatusCode(fasthttp.StatusOK)
	ctx.SetContentType(contentJSON)
	ctx.SetBody(b)
}
