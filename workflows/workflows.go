// Package workflows decides: one deterministic, durable workflow per case, with deadlines as timers.
package workflows

import (
	"go.temporal.io/sdk/worker"

	"xinyong/activities"
)

// TaskQueue is the one task queue every xinyong worker polls.
const TaskQueue = "xinyong"

// Register adds every workflow and activity to a worker.
func Register(w worker.Registry, a *activities.Activities) {
	w.RegisterActivity(a)
}
