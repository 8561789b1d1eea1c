// Package workflows decides: one deterministic, durable workflow per case, with deadlines as timers.
package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	activities "xinyong/activities/contract"
	"xinyong/domain"
)

// TaskQueue is the one task queue every xinyong worker polls.
const TaskQueue = "xinyong"

// registrars add each process's workflows; every workflow file appends its own in init.
var registrars []func(w worker.Registry)

// Register adds every workflow and the activities to a worker; impl is the *activities.Activities that implements
// them (named by its contract so that workflow code does not depend on the package that does I/O), registered as
// contract.Activities bound to it. A nil impl registers the workflows only (replay).
func Register(w worker.Registry, impl activities.Implementation) {
	if impl != nil {
		w.RegisterActivity(activities.Bind(impl))
	}
	for _, r := range registrars {
		r(w)
	}
}

// acts names activities for typed calls (workflow.ExecuteActivity(ctx, acts.OpenTask, ...)): only its method names
// and signatures are used here; the worker runs them bound to *activities.Activities (Register).
var acts *activities.Activities

// withActivityOptions gives activities the retry policy every one of them shares: retried with backoff until they
// succeed, since every activity is idempotent and nothing may be dropped.
func withActivityOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			// Short: these steps wait on the database only, and a step that failed while the database or the
			// network was away should run again soon after it is back, not after a long backoff.
			MaximumInterval: time.Minute,
		},
	})
}

// shortStep runs a short database step of a workflow: as a local activity (by its registered name, since the
// contract's functions only name activities) when the run's version says so, else as a regular activity, the shape
// of the runs recorded before.
func shortStep(ctx workflow.Context, local bool, name string, fn any, arg any) workflow.Future {
	if !local {
		return workflow.ExecuteActivity(ctx, fn, arg)
	}
	return workflow.ExecuteLocalActivity(withLocalActivityOptions(ctx), name, arg)
}

// withLocalActivityOptions is for short database steps run as local activities: retried like activities, but by
// the worker within the workflow task, so a slow database shows as a longer task rather than a failed case.
func withLocalActivityOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		// ScheduleToClose bounds all attempts together; left unset, the SDK takes StartToClose for it, so a step
		// whose first attempt timed out (waiting for a lock held by a worker cut off from the network, say) was
		// never tried again and its case stopped. A day of retries, as a regular activity would have.
		ScheduleToCloseTimeout: 24 * time.Hour,
		StartToCloseTimeout:    30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			// Short: these steps wait on the database only, and a step that failed while the database or the
			// network was away should run again soon after it is back, not after a long backoff.
			MaximumInterval: time.Minute,
		},
	})
}

// endOfDay is the instant a deadline date ends: midnight after it, Asia/Shanghai.
func endOfDay(d domain.Date) time.Time {
	return d.AddDays(1).Time(domain.Shanghai)
}

// awaitUntilEndOf waits until cond holds or the deadline date is over; it reports whether cond held in time.
func awaitUntilEndOf(ctx workflow.Context, due domain.Date, cond func() bool) (bool, error) {
	wait := endOfDay(due).Sub(workflow.Now(ctx))
	if wait <= 0 {
		return cond(), nil
	}
	return workflow.AwaitWithTimeout(ctx, wait, cond)
}

// sleepUntilEndOf sleeps until the date is over (a no-op when it already is).
func sleepUntilEndOf(ctx workflow.Context, d domain.Date) error {
	wait := endOfDay(d).Sub(workflow.Now(ctx))
	if wait <= 0 {
		return nil
	}
	return workflow.Sleep(ctx, wait)
}

// today is the workflow's current date in Asia/Shanghai (workflow time, so replay-safe and test-clock aware).
func today(ctx workflow.Context) domain.Date {
	return domain.DateOf(workflow.Now(ctx).In(domain.Shanghai))
}

// isInvalidData recognizes a step whose write PostgreSQL refused for its data (activities.ErrInvalidData): it can
// never succeed, so the workflow puts its state back and answers the update with the error.
func isInvalidData(err error) bool {
	var ae *temporal.ApplicationError
	return errors.As(err, &ae) && ae.Type() == activities.ErrInvalidData
}
