package nacostest

import (
	"bytes"
	"context"
	"log/slog"
	"strconv"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fastjson"
)

const maxWeight = 10000 // Nacos Instance.MAX_WEIGHT_VALUE

// registerParams are the parameters of a register request.
type registerParams struct {
	weight    float64
	enabled   bool
	healthy   bool
	ephemeral bool
	metadata  map[string]string
}

// readInstanceKey reads the identity parameters shared by register and
// deregister (Nacos getBasicIpAddress): ip and port required, clusterName
// (or cluster) defaulting to DEFAULT, and appends the store key to dst. It
// returns a 400 message on error.
func readInstanceKey(dst []byte, ctx *fasthttp.RequestCtx) ([]byte, string) {
	ip := param(ctx, "ip")
	if len(ip) == 0 {
		return dst, "caused: Param 'ip' is required.;"
	}
	portB := param(ctx, "port")
	if len(portB) == 0 {
		return dst, "caused: Param 'port' is required.;"
	}
	port, ok := parsePort(portB)
	if !ok {
		return dst, badNumber(portB)
	}
	cluster := param(ctx, "clusterName")
	if len(cluster) == 0 {
		cluster = paramOr(ctx, "cluster", defaultClusterB)
	}
	return appendIdentity(dst, ctx, cluster, ip, port)
}

// register answers POST /nacos/v1/ns/instance like Nacos 1.4
// InstanceController.register. Registering a known instance updates its
// weight, enabled, ephemeral and metadata and keeps its health and last beat,
// as Nacos does.
func (s *Server) register(ctx *fasthttp.RequestCtx, st *counterStripe) {
	var kb [256]byte
	key, p, msg := readRegisterParams(kb[:0], ctx, &s.parsers)
	if msg != "" {
		writeText(ctx, fasthttp.StatusBadRequest, msg)
		return
	}
	now := s.now()
	sh, h := s.store.locate(key)
	sh.mu.Lock()
	in := sh.getLocked(h, key)
	created := in == nil
	if created {
		in = &instance{key: string(key), hash: h, healthy: p.healthy, lastBeat: now}
	}
	in.weight, in.enabled, in.ephemeral = p.weight, p.enabled, p.ephemeral
	in.setMetadata(p.metadata)
	if created {
		sh.addLocked(in)
	}
	sh.mu.Unlock()
	st.registrations.Add(1)
	if s.log.Enabled(context.Background(), slog.LevelDebug) {
		ns, svc, cluster, ip, port := splitKey(in.key)
		s.log.Debug("nacostest: register", "namespace", ns, "service", svc, "cluster", cluster, "ip", ip, "port", port, "new", created)
	}
	writeText(ctx, fasthttp.StatusOK, "ok")
}

// readRegisterParams reads a register request's parameters and appends
// the store key to dst (key is kept out of p, whose metadata escapes, so
// that dst may live on the caller's stack).
func readRegisterParams(dst []byte, ctx *fasthttp.RequestCtx, parsers *fastjson.ParserPool) (key []byte, p registerParams, msg string) {
	if key, msg = readInstanceKey(dst, ctx); msg != "" {
		return key, p, msg
	}
	p.weight = 1
	if w := param(ctx, "weight"); len(w) > 0 {
		f, err := strconv.ParseFloat(string(w), 64)
		if err != nil {
			return key, p, badNumber(w)
		}
		if !(f >= 0 && f <= maxWeight) {
			return key, p, "caused: instance format invalid: weight " + string(w) + " is outside [0, 10000];"
		}
		p.weight = f
	}
	if e := param(ctx, "enabled"); len(e) > 0 {
		p.enabled = toBoolean(e, true)
	} else {
		p.enabled = toBoolean(param(ctx, "enable"), true)
	}
	p.healthy = toBoolean(param(ctx, "healthy"), true)
	p.ephemeral = toBoolean(param(ctx, "ephemeral"), true)
	if md := param(ctx, "metadata"); len(md) > 0 {
		if p.metadata, msg = parseMetadata(md, parsers); msg != "" {
			return key, p, msg
		}
	}
	return key, p, ""
}

// parseMetadata reads metadata like Nacos UtilsAndCommons.parseMetadata: a
// JSON object, else "k1=v1,k2=v2". The JSON parser comes from parsers: a
// parser of its own would allocate its cache on every registration (the
// Java client sends "{}" when an instance has no metadata).
func parseMetadata(b []byte, parsers *fastjson.ParserPool) (map[string]string, string) {
	jp := parsers.Get()
	defer parsers.Put(jp)
	if v, err := jp.ParseBytes(b); err == nil {
		if v.Type() == fastjson.TypeNull {
			return nil, ""
		}
		if o, err := v.Object(); err == nil {
			return metadataFromJSON(o), ""
		}
	}
	md := map[string]string{}
	for _, kv := range bytes.Split(b, []byte(",")) {
		parts := bytes.Split(kv, []byte("="))
		if len(parts) != 2 {
			return nil, "caused: metadata format incorrect:" + string(b) + ";"
		}
		md[string(parts[0])] = string(parts[1])
	}
	return md, ""
}

// deregister answers DELETE /nacos/v1/ns/instance: "ok", whether or not the
// instance was known, as in Nacos.
func (s *Server) deregister(ctx *fasthttp.RequestCtx, st *counterStripe) {
	var kb [256]byte
	key, msg := readInstanceKey(kb[:0], ctx)
	if msg != "" {
		writeText(ctx, fasthttp.StatusBadRequest, msg)
		return
	}
	sh, h := s.store.locate(key)
	sh.mu.Lock()
	in := sh.getLocked(h, key)
	if in != nil {
		sh.removeLocked(in)
	}
	sh.mu.Unlock()
	st.deregistrations.Add(1)
	if in != nil && s.log.Enabled(context.Background(), slog.LevelDebug) {
		ns, svc, cluster, ip, port := splitKey(in.key)
		s.log.Debug("nacostest: deregister", "namespace", ns, "service", svc, "cluster", cluster, "ip", ip, "port", port)
	}
	writeText(ctx, fasthttp.StatusOK, "ok")
}
