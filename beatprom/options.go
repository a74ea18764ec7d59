package beatprom

import "github.com/prometheus/client_golang/prometheus"

// Namespace prefixes every metric name.
const Namespace = "beatwheel"

// Option configures a collector.
type Option func(*options)

type options struct {
	constLabels prometheus.Labels
}

// WithConstLabels attaches labels to every metric of the collector, to tell
// several Reactors in one process apart (for example {"reactor":
// "gateway"}). Default: none.
func WithConstLabels(l prometheus.Labels) Option {
	return func(o *options) { o.constLabels = l }
}

// newOptions applies opts to the defaults.
func newOptions(opts []Option) options {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// desc returns the descriptor of metric Namespace_name, with o's constant
// labels and the variable labels given.
func (o options) desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(prometheus.BuildFQName(Namespace, "", name), help, labels, o.constLabels)
}
