package workflows

import (
	"go.temporal.io/sdk/workflow"

	"xinyong/domain"
)

// The names of an objection's deadlines, as case_deadlines and the API list them.
const (
	dueMark    = "mark_due"
	dueForward = "forward_due"
	dueVerify  = "verify_due"
)

// recountDeadlines counts the objection's provisional deadlines again after a notice was loaded (the stored
// columns and the department's task move with them, deadlines.go); the answer's and the channels' waits follow.
func (w *objection) recountDeadlines(ctx workflow.Context, sig CalendarChanged) error {
	if err := workflow.Await(ctx, func() bool { return w.ready }); err != nil {
		return err
	}
	if w.version >= 1 {
		w.steps++
	}
	r, err := recountDeadlines(ctx, "objection", w.caseID(), sig.Year)
	if err != nil {
		return err
	}
	if m, ok := r.Moved[dueMark]; ok {
		w.p.MarkDue = m[1]
		for _, c := range w.channels {
			if c.Action == domain.ObjectionMark && !c.settled() {
				c.DueOn = m[1]
			}
		}
	}
	for _, c := range w.channels {
		// The result's channel actions (unmark:<channel>, correct:<channel>), named as their tasks.
		if m, ok := r.Moved[channelStep(c)]; ok && c.Action != domain.ObjectionMark && !c.settled() {
			c.DueOn = m[1]
		}
	}
	if m, ok := r.Moved[dueForward]; ok {
		w.p.ForwardDue = m[1]
	}
	if m, ok := r.Moved[dueVerify]; ok && !w.resolved {
		if !w.p.Extended {
			w.p.OriginalVerifyDue = m[1]
		}
		w.p.VerifyDue = m[1]
	}
	return nil
}
