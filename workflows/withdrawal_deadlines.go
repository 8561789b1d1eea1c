package workflows

import (
	"go.temporal.io/sdk/workflow"
)

// recountDeadlines counts the order's provisional channel deadlines (confirm:<channel>, counted when the order was
// made) again after a notice was loaded; the channels' overdue watches follow the new dates.
func (w *withdrawal) recountDeadlines(ctx workflow.Context, sig CalendarChanged) error {
	if err := workflow.Await(ctx, func() bool { return w.loaded }); err != nil {
		return err
	}
	if w.version >= 1 {
		w.steps++
	}
	r, err := recountDeadlines(ctx, "withdrawal", w.caseID(), sig.Year)
	if err != nil {
		return err
	}
	for _, c := range w.channels {
		if m, ok := r.Moved["confirm:"+c.ChannelID]; ok && !c.confirmed() {
			c.DueOn = m[1]
		}
	}
	return nil
}
