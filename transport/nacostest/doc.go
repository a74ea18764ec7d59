// Package nacostest runs an in-process Nacos 1.x naming server (the v1 HTTP
// API) for tests, benchmarks and load tools, the way net/http/httptest runs
// an HTTP server:
//
//	srv, err := nacostest.Start(nacostest.Config{})
//	if err != nil { ... }
//	defer srv.Close()
//	// point a Nacos client at srv.Addr()
//
// It follows the Nacos 1.4 server (InstanceController) on the paths a naming
// client uses, under the context path /nacos:
//
//   - POST   /nacos/v1/ns/instance             register; answers "ok"
//   - DELETE /nacos/v1/ns/instance             deregister; answers "ok"
//   - PUT    /nacos/v1/ns/instance/beat        beat; answers
//     {"clientBeatInterval":5000,"code":10200,"lightBeatEnabled":true}, or
//     {"clientBeatInterval":5000,"code":20404} for a light beat (no beat
//     parameter) of an instance the server does not know. A full beat (with
//     beat=<BeatInfo JSON>) of an unknown instance registers it, as Nacos 1.4
//     does.
//   - GET    /nacos/v1/ns/instance/list        the instances of a service
//   - GET    /nacos/v1/ns/operator/metrics     {"status":"UP",...}
//   - POST   /nacos/v1/auth/login and /nacos/v1/auth/users/login
//
// Parameters are read from the query string first, then from an
// application/x-www-form-urlencoded body, whatever the method, as Nacos reads
// them with request.getParameter. A bare serviceName is grouped with the
// groupName parameter (default DEFAULT_GROUP) into "group@@name". Missing or
// invalid parameters are answered 400 with a short text; any other path 404.
//
// Ephemeral instances follow the Nacos health rules: an instance without a
// beat for Config.UnhealthyAfter (15 s) becomes unhealthy, for
// Config.RemoveAfter (30 s) it is removed. A sweeper goroutine applies them
// every Config.CheckInterval. Tests shorten all three.
//
// Server.SetFaults injects latency, HTTP 500 answers, connection resets and
// bodies that are not JSON into naming requests; Server.Restart forgets every
// instance, as a restarted Nacos does; Server.Counters tells what happened.
//
// The server is built to share two cores with a client beating a million
// instances: the beat path takes no global lock (instances live in mutex
// shards keyed by a key built on the stack) and allocates nothing per light
// beat of a known instance in steady state. BenchmarkBeat measures it.
package nacostest
