package nacostest_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/beatwheel/beatwheel/transport/nacostest"
)

func Example() {
	srv, err := nacostest.Start(nacostest.Config{
		UnhealthyAfter: 150 * time.Millisecond, // short timers for a test
		RemoveAfter:    300 * time.Millisecond,
		CheckInterval:  10 * time.Millisecond,
	})
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	// A light beat of an instance the server does not know yet.
	q := url.Values{"serviceName": {"DEFAULT_GROUP@@orders"}, "ip": {"10.0.0.1"}, "port": {"8080"}}
	req, _ := http.NewRequest(http.MethodPut, "http://"+srv.Addr()+"/nacos/v1/ns/instance/beat?"+q.Encode(), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(string(body))

	c := srv.Counters()
	fmt.Println("beats:", c.Beats, "not found:", c.NotFound, "instances:", srv.Len())
	http.DefaultClient.CloseIdleConnections()
	// Output:
	// {"clientBeatInterval":5000,"code":20404}
	// beats: 1 not found: 1 instances: 0
}
