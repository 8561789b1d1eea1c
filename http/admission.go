package httpapi

import (
	"context"
	"runtime"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/sync/semaphore"

	"xinyong/domain"
)

// readGate admits a few reads (GET and HEAD) at a time and has the others wait their turn, first come first served.
//
// Why (issue 17): a read is mostly processor time, here and in PostgreSQL. Admitted all at once, eight pages in
// flight on two cores kept eight PostgreSQL backends runnable beside this process, and the kernel shared the cores
// among them in time slices of milliseconds: a page whose backend lost its core in the middle of its statements
// waited for every other one, and the slowest hundredth of the pages took five to six times the median. Admitted a
// few at a time, each runs with the cores nearly to itself and the others wait in order; the same rate is served
// with a tail of about three times the median. Waiting here costs nothing but memory, and the queue is bounded in
// time: a read that waits longer than readWaitLimit is answered 503 with Retry-After, so an overloaded server
// refuses promptly instead of answering everything late.
//
// Writes are not gated: most of their time is spent waiting on Temporal, not on a processor, and a write held
// behind reads would hold its case. Neither are static files, health checks and metrics, which must answer
// under load.
type readGate struct {
	sem  *semaphore.Weighted
	wait time.Duration // readWaitLimit
}

// readWaitLimit is how long a read waits for its turn before it is refused.
const readWaitLimit = 10 * time.Second

// defaultReadConcurrency is the reads admitted at once when Config.ReadConcurrency is zero: one per processor and
// one more, so that while one read waits on PostgreSQL's answer another keeps the processors busy. On this
// project's two-core benchmark machine, two at once lost a fifth of the home pages' rate, three kept it, and four
// gave back part of the tail (docs/performance.md, "Ninth pass").
func defaultReadConcurrency() int { return runtime.GOMAXPROCS(0) + 1 }

// newReadGate returns the gate for n reads at once (0: the default; negative: no gate).
func newReadGate(n int) *readGate {
	if n == 0 {
		n = defaultReadConcurrency()
	}
	if n < 0 {
		return nil
	}
	return &readGate{sem: semaphore.NewWeighted(int64(n)), wait: readWaitLimit}
}

var errBusy = newError(domain.KindUnavailable, "server_busy", "系统繁忙，请稍后重试")

// admitRead is the gate's middleware.
func (s *Server) admitRead(c *fiber.Ctx) error {
	if s.reads == nil || !gatedRead(c) {
		return c.Next()
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), s.reads.wait)
	err := s.reads.sem.Acquire(ctx, 1) // x/sync's semaphore serves its waiters in order
	cancel()
	if err != nil {
		c.Set(fiber.HeaderRetryAfter, "1")
		return errBusy
	}
	defer s.reads.sem.Release(1)
	return c.Next()
}

func gatedRead(c *fiber.Ctx) bool {
	if m := c.Method(); m != fiber.MethodGet && m != fiber.MethodHead {
		return false
	}
	switch p := c.Path(); {
	case strings.HasPrefix(p, "/static/"), p == "/healthz", p == "/readyz", p == "/metrics":
		return false
	}
	return true
}
