package transport_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/beatwheel/beatwheel/reactor"
	"github.com/beatwheel/beatwheel/transport"
	"github.com/beatwheel/beatwheel/transport/nacostest"
)

// A Client registers an instance and beats for it, here against the
// in-process nacostest server. A reactor.Reactor normally makes these
// calls; this is the transport on its own.
func Example() {
	srv, err := nacostest.Start(nacostest.Config{})
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	client, err := transport.New(transport.Config{
		Servers: []string{srv.Addr()},
		Mode:    transport.ModePipeline,
	})
	if err != nil {
		panic(err)
	}
	defer client.Close()

	ctx := context.Background()
	b := &reactor.BeatInfo{ServiceName: "DEFAULT_GROUP@@orders", IP: "10.0.0.7", Port: 8080, Weight: 1}
	if err := client.Register(ctx, b); err != nil {
		panic(err)
	}
	beats := []reactor.Beat{{Info: b, Light: true}}
	results := make([]reactor.BeatResult, len(beats))
	client.SendBeats(ctx, beats, results)
	r := results[0]
	fmt.Println("code", r.Code, "interval", r.ClientBeatInterval, "light beats allowed", r.LightBeatEnabled)
	// Output:
	// code 10200 interval 5s light beats allowed true
}

// RegisterAll registers a population at once; in ModePipeline the
// registrations travel pipelined, as beats do. Each instance gets its own
// error: here the second has no port.
func ExampleClient_RegisterAll() {
	srv, err := nacostest.Start(nacostest.Config{})
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	client, err := transport.New(transport.Config{
		Servers: []string{srv.Addr()},
		Mode:    transport.ModePipeline,
	})
	if err != nil {
		panic(err)
	}
	defer client.Close()

	infos := []*reactor.BeatInfo{
		{ServiceName: "DEFAULT_GROUP@@orders", IP: "10.0.0.7", Port: 8080, Weight: 1},
		{ServiceName: "DEFAULT_GROUP@@orders", IP: "10.0.0.8", Weight: 1},
		{ServiceName: "DEFAULT_GROUP@@orders", IP: "10.0.0.9", Port: 8080, Weight: 1},
	}
	errs := make([]error, len(infos))
	client.RegisterAll(context.Background(), infos, errs)
	for i, err := range errs {
		fmt.Println(infos[i].IP, errors.Is(err, reactor.ErrPort), err == nil)
	}
	fmt.Println("registered at the server:", srv.Len())
	// Output:
	// 10.0.0.7 false true
	// 10.0.0.8 true false
	// 10.0.0.9 false true
	// registered at the server: 2
}
