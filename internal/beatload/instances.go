package beatload

import (
	"strconv"
	"time"

	"github.com/beatwheel/beatwheel/reactor"
)

// Port is the port of the first 2^24 instances Instance builds; the next
// 2^24 use Port+1, and so on.
const Port = 8080

// Services returns n grouped service names, "DEFAULT_GROUP@@service-<i>".
// Instances share them, as instances of one service do.
func Services(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = "DEFAULT_GROUP@@service-" + strconv.Itoa(i)
	}
	return names
}

// Instance returns instance i of a realistic population: service
// services[i%len(services)], IPv4 address 10.x.y.z taken from i's low 24
// bits, port Port plus i's higher bits, weight 1, nil metadata. Distinct i
// give distinct keys. It allocates the BeatInfo and its IP string.
func Instance(i int, services []string, period time.Duration) *reactor.BeatInfo {
	var buf [15]byte
	ip := append(buf[:0], "10."...)
	ip = strconv.AppendUint(ip, uint64(i>>16&0xff), 10)
	ip = append(ip, '.')
	ip = strconv.AppendUint(ip, uint64(i>>8&0xff), 10)
	ip = append(ip, '.')
	ip = strconv.AppendUint(ip, uint64(i&0xff), 10)
	return &reactor.BeatInfo{
		ServiceName: services[i%len(services)],
		IP:          string(ip),
		Port:        Port + i>>24,
		Weight:      1,
		Period:      period,
	}
}
