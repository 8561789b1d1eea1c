package workflows

import (
	"slices"

	"go.temporal.io/sdk/workflow"

	activities "xinyong/activities/contract"
	"xinyong/domain"
)

// Provisional deadlines (RULES.md "Working days"): a deadline counted over days whose status is not yet known (a
// year without its holiday notice, or late December before the next year's notice) is provisional. The case keeps
// which of its deadlines are (RepairProgress.Provisional, shown as 暂定), and when an admin loads a notice the
// server signals SignalCalendarChanged to every open case that has one: the case counts them again, stores the new
// dates, moves the department's task, records the change in its history, and its timers follow the new dates.

// SignalCalendarChanged tells a case that a year's holiday notice was loaded (payload CalendarChanged).
const SignalCalendarChanged = "calendar-changed"

// CalendarChanged is the payload of SignalCalendarChanged.
type CalendarChanged struct {
	Year int `json:"year"`
}

// The names of a repair case's deadlines, as RepairProgress.Provisional lists them.
const (
	dueAcceptance = "acceptance_due"
	dueDecision   = "decision_due"
	dueOverall    = "overall_due"
)

// dueOrigin is how a deadline was counted: Workdays after From, then Extend more (an extension).
type dueOrigin struct {
	From     domain.Date
	Workdays int
	Extend   int
}

// due counts a deadline and remembers whether it is provisional and how it was counted.
func (w *repair) due(ctx workflow.Context, name string, from domain.Date, workdays, extend int) (domain.Date, error) {
	var r activities.DeadlineResult
	if err := workflow.ExecuteActivity(ctx, acts.Deadline, activities.DeadlineInput{From: from, Workdays: workdays}).Get(ctx, &r); err != nil {
		return domain.Date{}, err
	}
	w.origins[name] = dueOrigin{From: from, Workdays: workdays, Extend: extend}
	w.setProvisional(name, r.Provisional)
	return r.Due, nil
}

// extendDue adds an extension to a deadline counted before (an extension runs from the deadline it extends).
func (w *repair) extendDue(ctx workflow.Context, name string, original domain.Date, extend int) (domain.Date, error) {
	var r activities.DeadlineResult
	if err := workflow.ExecuteActivity(ctx, acts.Deadline, activities.DeadlineInput{From: original, Workdays: extend}).Get(ctx, &r); err != nil {
		return domain.Date{}, err
	}
	o, ok := w.origins[name]
	if !ok {
		o = w.originOf(name)
	}
	o.Extend = extend
	w.origins[name] = o
	w.setProvisional(name, r.Provisional || slices.Contains(w.p.Provisional, name))
	return r.Due, nil
}

func (w *repair) setProvisional(name string, provisional bool) {
	w.p.Provisional = slices.DeleteFunc(slices.Clone(w.p.Provisional), func(s string) bool { return s == name })
	if provisional {
		w.p.Provisional = append(w.p.Provisional, name)
		slices.Sort(w.p.Provisional)
	}
}

// originOf reconstructs how a deadline was counted, for a run that resumed the case (its origins were in the
// previous run's memory): from the receipt or the acceptance recorded on the case.
func (w *repair) originOf(name string) dueOrigin {
	d := w.f.Deadlines
	switch name {
	case dueAcceptance:
		return dueOrigin{From: w.p.ReceivedOn, Workdays: d.Acceptance}
	case dueDecision:
		o := dueOrigin{From: w.p.AcceptedOn, Workdays: d.Decision}
		if w.p.Extended {
			o.Extend = d.Extension
		}
		return o
	case dueOverall:
		return dueOrigin{From: w.p.ReceivedOn, Workdays: d.Overall}
	}
	return dueOrigin{}
}

// recomputeDeadlines counts the case's provisional deadlines again with the calendar as it now is.
func (w *repair) recomputeDeadlines(ctx workflow.Context, sig CalendarChanged) error {
	if err := workflow.Await(ctx, func() bool { return w.ready }); err != nil {
		return err
	}
	if len(w.p.Provisional) == 0 || w.terminal() {
		return nil
	}
	fields := map[string]*domain.Date{dueAcceptance: &w.p.AcceptanceDue, dueDecision: &w.p.DecisionDue, dueOverall: &w.p.OverallDue}
	changes := map[string]any{"year": sig.Year}
	moved := map[string][2]domain.Date{}
	for _, name := range slices.Clone(w.p.Provisional) {
		field, ok := fields[name]
		if !ok || field.IsZero() {
			continue
		}
		o, ok := w.origins[name]
		if !ok {
			o = w.originOf(name)
		}
		if o.From.IsZero() {
			continue
		}
		due, err := w.due(ctx, name, o.From, o.Workdays, o.Extend)
		if err != nil {
			return err
		}
		if o.Extend > 0 {
			if due, err = w.extendDue(ctx, name, due, o.Extend); err != nil {
				return err
			}
		}
		if due != *field {
			moved[name] = [2]domain.Date{*field, due}
			changes[name] = map[string]any{"from": *field, "to": due}
			*field = due
		}
	}
	changes["provisional"] = slices.Clone(w.p.Provisional)
	// The department's open task follows its deadline.
	if m, ok := moved[dueAcceptance]; ok && w.p.Status == domain.RepairPendingAcceptance {
		if err := w.rescheduleTask(ctx, w.task("acceptance"), m[1]); err != nil {
			return err
		}
	}
	if m, ok := moved[dueDecision]; ok {
		if err := w.rescheduleTask(ctx, w.decisionTask(), m[1]); err != nil {
			return err
		}
	}
	return w.record(ctx, "repair.deadlines_recomputed", RepairActor{}, changes, nil, "")
}

func (w *repair) rescheduleTask(ctx workflow.Context, step string, due domain.Date) error {
	return workflow.ExecuteActivity(ctx, acts.RescheduleTask, activities.RescheduleTaskInput{
		CaseKind: "repair", CaseID: w.caseID(), Step: step, DueOn: due}).Get(ctx, nil)
}
