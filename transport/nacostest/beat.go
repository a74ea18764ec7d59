package nacostest

import (
	"github.com/valyala/fasthttp"
	"github.com/valyala/fastjson"
)

// beat answers PUT /nacos/v1/ns/instance/beat like Nacos 1.4
// InstanceController.beat. A light beat of a known instance allocates
// nothing: the key is built on the stack and looked up with m[string(key)].
func (s *Server) beat(ctx *fasthttp.RequestCtx, st *counterStripe) {
	st.beats.Add(1)
	cluster := paramOr(ctx, "clusterName", defaultClusterB)
	ip := param(ctx, "ip")
	port := 0
	if b := param(ctx, "port"); len(b) > 0 {
		var ok bool
		if port, ok = parsePort(b); !ok {
			writeText(ctx, fasthttp.StatusBadRequest, badNumber(b))
			return
		}
	}
	var beat *fastjson.Value
	if raw := param(ctx, "beat"); len(raw) > 0 {
		p := s.parsers.Get()
		defer s.parsers.Put(p)
		var err error
		if beat, err = p.ParseBytes(raw); err != nil || beat.Type() != fastjson.TypeObject {
			writeText(ctx, fasthttp.StatusBadRequest, "caused: Param 'beat' is not a JSON object;")
			return
		}
		if c := beat.GetStringBytes("cluster"); len(c) > 0 {
			cluster = c
		}
		ip = beat.GetStringBytes("ip")
		port = beat.GetInt("port")
	} else {
		st.lightBeats.Add(1)
	}

	var kb [256]byte
	key, msg := appendIdentity(kb[:0], ctx, cluster, ip, port)
	if msg != "" {
		writeText(ctx, fasthttp.StatusBadRequest, msg)
		return
	}
	now := s.now()
	sh, h := s.store.locate(key)
	sh.mu.Lock()
	in := sh.getLocked(h, key)
	if in == nil {
		if beat == nil {
			sh.mu.Unlock()
			st.notFound.Add(1)
			writeJSON(ctx, s.notFoundAnswer)
			return
		}
		// Nacos 1.4 registers the instance a full beat describes.
		in = instanceFromBeat(string(key), beat)
		in.hash = h
		sh.addLocked(in)
		st.registrations.Add(1)
	}
	in.lastBeat = now
	if in.ephemeral {
		sh.setHealthyLocked(in, true)
	}
	interval := in.beatMs
	sh.mu.Unlock()
	if interval == 0 {
		interval = s.beatMs
	}
	s.writeBeatOK(ctx, interval)
}

// instanceFromBeat builds the instance a full beat describes: weight 1 and
// ephemeral unless the beat says otherwise.
func instanceFromBeat(key string, beat *fastjson.Value) *instance {
	in := &instance{key: key, weight: 1, healthy: true, enabled: true, ephemeral: true}
	if w := beat.Get("weight"); w != nil {
		if f, err := w.Float64(); err == nil && f >= 0 {
			in.weight = f
		}
	}
	if e := beat.Get("ephemeral"); e != nil {
		if b, err := e.Bool(); err == nil {
			in.ephemeral = b
		}
	}
	if md := beat.GetObject("metadata"); md != nil {
		in.setMetadata(metadataFromJSON(md))
	}
	return in
}

// metadataFromJSON turns a JSON object into metadata; values that are not
// strings keep their JSON text, as Jackson does for Map<String,String>.
func metadataFromJSON(o *fastjson.Object) map[string]string {
	if o.Len() == 0 {
		return nil
	}
	md := make(map[string]string, o.Len())
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch v.Type() {
		case fastjson.TypeString:
			md[string(k)] = string(v.GetStringBytes())
		case fastjson.TypeNull:
			md[string(k)] = ""
		default:
			md[string(k)] = v.String()
		}
	})
	return md
}
