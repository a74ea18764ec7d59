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
	var buf [maxIP]byte
	return instance(i, string(appendIP(buf[:0], i)), services, period)
}

// AppendInstances appends to dst the instances Instance(c.Instance(k),
// services, c.Period) for k from lo to hi, and returns the extended slice.
// Their IP strings are cut from one string: a population built in chunks
// keeps about 11 bytes of IP per instance where Instance's own strings take
// 16, and one heap object per chunk where Instance's take one each.
func (c Config) AppendInstances(dst []*reactor.BeatInfo, lo, hi int, services []string) []*reactor.BeatInfo {
	text := make([]byte, 0, (hi-lo)*maxIP)
	for k := lo; k < hi; k++ {
		text = appendIP(text, c.Instance(k))
	}
	all := string(text)
	var buf [maxIP]byte
	for k := lo; k < hi; k++ {
		i := c.Instance(k)
		n := len(appendIP(buf[:0], i))
		dst = append(dst, instance(i, all[:n], services, c.Period))
		all = all[n:]
	}
	return dst
}

// maxIP is the longest IP Instance makes: "10.255.255.255".
const maxIP = len("10.255.255.255")

// appendIP appends instance i's IP, 10.x.y.z from i's low 24 bits.
func appendIP(dst []byte, i int) []byte {
	dst = append(dst, "10."...)
	dst = strconv.AppendUint(dst, uint64(i>>16&0xff), 10)
	dst = append(dst, '.')
	dst = strconv.AppendUint(dst, uint64(i>>8&0xff), 10)
	dst = append(dst, '.')
	return strconv.AppendUint(dst, uint64(i&0xff), 10)
}

// instance returns instance i with the given IP.
func instance(i int, ip string, services []string, period time.Duration) *reactor.BeatInfo {
	return &reactor.BeatInfo{
		ServiceName: services[i%len(services)],
		IP:          ip,
		Port:        Port + i>>24,
		Weight:      1,
		Period:      period,
	}
}
