package nacostest

import (
	"fmt"
	"math"
	"strconv"
	"sync/atomic"

	"github.com/valyala/fasthttp"
	"golang.org/x/time/rate"
)

// capacity limits the registrations a Server takes per second
// (Config.MaxRegistrationsPerSecond), as a registry that cannot keep up
// would: one past the limit is answered 503 and not processed.
type capacity struct {
	limit   *rate.Limiter // nil: no limit
	refused atomic.Uint64
}

// registrationBurst returns how many registrations the server takes at once
// beyond its rate: a tenth of a second's worth, at least 1.
func registrationBurst(perSecond float64) int {
	return max(1, int(math.Ceil(perSecond/10)))
}

// newCapacity returns the capacity Config.MaxRegistrationsPerSecond sets,
// or an error wrapping ErrConfig.
func newCapacity(perSecond float64) (*capacity, error) {
	if math.IsNaN(perSecond) || perSecond < 0 {
		return nil, fmt.Errorf("%w: MaxRegistrationsPerSecond %v is negative", ErrConfig, perSecond)
	}
	c := &capacity{}
	if perSecond > 0 {
		c.limit = rate.NewLimiter(rate.Limit(perSecond), registrationBurst(perSecond))
	}
	return c, nil
}

// refuse answers a registration 503 and reports true when it is over
// capacity.
func (c *capacity) refuse(ctx *fasthttp.RequestCtx) bool {
	if c.limit == nil || c.limit.Allow() {
		return false
	}
	c.refused.Add(1)
	writeText(ctx, fasthttp.StatusServiceUnavailable,
		"server is busy: more than "+strconv.FormatFloat(float64(c.limit.Limit()), 'g', -1, 64)+" registrations per second")
	return true
}
