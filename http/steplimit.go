package httpapi

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"xinyong/domain"
	"xinyong/storage"
)

// Human steps are workflow updates, and a workflow run takes a bounded number of them: one principal repeating a
// step on one case (enrolling and cancelling in a loop) must not use them up for everyone else. The counters live
// in PostgreSQL, so every serve process sees the same ones.

// stepLimit is how many steps one principal may send to one case within a window.
type stepLimit struct {
	name   string
	window time.Duration
	max    int
	// enterpriseOnly limits only enterprises: officials record a whole session's attendance one by one.
	enterpriseOnly bool
	message        string
}

var stepLimits = []stepLimit{
	{name: "minute", window: time.Minute, max: 30, message: "操作过于频繁：同一案件每分钟最多办理30次，请稍后再试"},
	{name: "day", window: 24 * time.Hour, max: 100, enterpriseOnly: true, message: "操作过于频繁：同一案件每天最多办理100次，请明天再试"},
}

// errTooManySteps is the 429 of a step over its limit.
func errTooManySteps(l stepLimit, retryAfter time.Duration) *Error {
	return newError(domain.KindRateLimited, "too_many_steps", l.message).With(map[string]any{
		"limit": l.max, "window": l.name, "retry_after_seconds": int(retryAfter.Seconds()) + 1})
}

type principalCtxKey struct{}

// withPrincipal carries the caller into the request's context, for code that has only the context.
func withPrincipal(ctx context.Context, p *principal) context.Context {
	return context.WithValue(ctx, principalCtxKey{}, p)
}

// limitStep counts a step the caller sends to a workflow and refuses it (429 too_many_steps) when one of the
// limits is reached. A refused step counts too: the workflow's limit counts refused updates as well.
func (s *Server) limitStep(ctx context.Context, workflowID string) error {
	p, _ := ctx.Value(principalCtxKey{}).(*principal)
	if p == nil {
		return nil // steps the system sends on its own behalf
	}
	now := time.Now()
	for _, l := range stepLimits {
		if l.enterpriseOnly && p.Role != storage.RoleEnterprise {
			continue
		}
		start := windowStart(now, l.window)
		key := strconv.FormatInt(p.ID, 10) + ":" + workflowID + ":" + l.name
		hits, err := s.db.CountStep(ctx, key, start, 48*time.Hour)
		if err != nil {
			return fmt.Errorf("step limit: %w", err)
		}
		if hits > l.max {
			return errTooManySteps(l, start.Add(l.window).Sub(now))
		}
	}
	return nil
}

// windowStart is the start of the window holding now: a day starts at midnight Beijing time.
func windowStart(now time.Time, window time.Duration) time.Time {
	if window == 24*time.Hour {
		d := now.In(domain.Shanghai)
		return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, domain.Shanghai)
	}
	return now.Truncate(window)
}
