package beatprom_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/beatwheel/beatwheel/beatprom"
	"github.com/beatwheel/beatwheel/reactor"
	"github.com/beatwheel/beatwheel/transport"
	"github.com/beatwheel/beatwheel/transport/nacostest"
)

// accepting is a Transport that accepts every beat without sending it.
type accepting struct{}

func (accepting) SendBeats(_ context.Context, _ []reactor.Beat, results []reactor.BeatResult) {
	for i := range results {
		results[i] = reactor.BeatResult{Code: reactor.CodeOK}
	}
}
func (accepting) Register(context.Context, *reactor.BeatInfo) error   { return nil }
func (accepting) Deregister(context.Context, *reactor.BeatInfo) error { return nil }

// Exporting a Reactor's metrics takes three lines: a registry, the
// collector, and the /metrics handler. Each scrape reads r.Stats() once.
func Example() {
	r, err := reactor.New(reactor.Config{Transport: accepting{}})
	if err != nil {
		panic(err)
	}
	defer r.Close(context.Background())
	if err := r.Add(&reactor.BeatInfo{ServiceName: "DEFAULT_GROUP@@orders", IP: "10.0.0.7", Port: 8080, Weight: 1}); err != nil {
		panic(err)
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(beatprom.NewReactorCollector(r))
	http.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	// ... http.ListenAndServe(addr, nil)

	// What a scrape of /metrics shows, here through a recorder:
	rec := httptest.NewRecorder()
	http.DefaultServeMux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for sc := bufio.NewScanner(rec.Body); sc.Scan(); {
		if strings.HasPrefix(sc.Text(), "beatwheel_instances") {
			fmt.Println(sc.Text())
		}
	}
	// Output:
	// beatwheel_instances 1
}

// A transport Client's counters (connections, failovers, logins) take one
// more collector; here the Client logs in to the in-process nacostest
// server to register an instance.
func ExampleNewTransportCollector() {
	srv, err := nacostest.Start(nacostest.Config{Username: "nacos", Password: "secret"})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	client, err := transport.New(transport.Config{Servers: []string{srv.Addr()}, Username: "nacos", Password: "secret"})
	if err != nil {
		panic(err)
	}
	defer client.Close()
	if err := client.Register(context.Background(), &reactor.BeatInfo{
		ServiceName: "DEFAULT_GROUP@@orders", IP: "10.0.0.7", Port: 8080, Weight: 1,
	}); err != nil {
		panic(err)
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(beatprom.NewTransportCollector(client))
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for sc := bufio.NewScanner(rec.Body); sc.Scan(); {
		if strings.HasPrefix(sc.Text(), "beatwheel_transport_logins_total") {
			fmt.Println(sc.Text())
		}
	}
	// Output:
	// beatwheel_transport_logins_total 1
}
