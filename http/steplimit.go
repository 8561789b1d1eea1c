package httpapi

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"xinyong/activities"
	"xinyong/domain"
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

// stepClock is the limits' clock; tests fix it so that a window cannot end in the middle of a test.
var stepClock = time.Now

type principalCtxKey struct{}

// withPrincipal carries the caller into the request's context, for code that has only the context.
func withPrincipal(ctx context.Context, p *principal) context.Context {
	return context.WithValue(ctx, principalCtxKey{}, p)
}

// limitStep counts a step the caller sends to a workflow and refuses it (429 too_many_steps) when one of the
// limits is reached. The answer settles the count once the step is answered: a step the workflow refused is not
// counted (Temporal does not count refused updates either, and a client polling until a session starts must not
// lock itself out); every other answer, success or failure, is.
func (s *Server) limitStep(ctx context.Context, workflowID string) (settle func(error), err error) {
	p, _ := ctx.Value(principalCtxKey{}).(*principal)
	if p == nil {
		return func(error) {}, nil // steps the system sends on its own behalf
	}
	now := stepClock()
	type counted struct {
		key   string
		start time.Time
	}
	var done []counted
	uncount := func() {
		for _, c := range done {
			if err := s.db.UncountStep(context.WithoutCancel(ctx), c.key, c.start); err != nil {
				s.log.Warn("uncount refused step", "key", c.key, "err", err)
			}
		}
	}
	for _, l := range stepLimits {
		if l.enterpriseOnly && p.Role != domain.RoleEnterprise {
			continue
		}
		start := windowStart(now, l.window)
		key := strconv.FormatInt(p.ID, 10) + ":" + workflowID + ":" + l.name
		hits, err := s.db.CountStep(ctx, key, start, 48*time.Hour)
		if err != nil {
			uncount()
			return nil, fmt.Errorf("step limit: %w", err)
		}
		done = append(done, counted{key, start})
		if hits > l.max {
			uncount() // a step never sent is not a step
			return nil, errTooManySteps(l, start.Add(l.window).Sub(now))
		}
	}
	return func(answer error) {
		if refusedByWorkflow(answer) {
			uncount()
		}
	}, nil
}

// refusedByWorkflow recognizes the answer of a step the workflow refused without taking it (409 or 422 with the
// workflow's code); a step whose write failed (invalid_data) was taken.
func refusedByWorkflow(err error) bool {
	var e *Error
	if !errors.As(err, &e) || (e.Kind != domain.KindConflict && e.Kind != domain.KindInvalid) {
		return false
	}
	return e.Code != activities.ErrInvalidData
}

// windowStart is the start of the window holding now: a day starts at midnight Beijing time.
func windowStart(now time.Time, window time.Duration) time.Time {
	if window == 24*time.Hour {
		d := now.In(domain.Shanghai)
		return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, domain.Shanghai)
	}
	return now.Truncate(window)
}
