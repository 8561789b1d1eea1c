package workflows

import (
	"slices"

	"go.temporal.io/sdk/workflow"

	activities "xinyong/activities/contract"
	"xinyong/domain"
)

// A penalty's working-day deadlines (delivery, 双公示 publication) are provisional when counted over days not yet
// known; the case keeps how they were counted, and when the notice is loaded the delivery task, the publication
// (its tasks and its overdue watch) and the stored dates follow the new ones (deadlines.go).

// The names of a penalty's deadlines, as case_deadlines and the API list them.
const (
	dueDelivery = "delivery_due"
	duePublish  = "publish_due"
	// dueRevocationWithdrawal: a revoked decision is off every channel within 3 working days of the revocation.
	dueRevocationWithdrawal = "revocation_withdrawal_due"
)

// revocationWithdrawalChange: the withdrawal deadline after a revocation is counted through CountDeadlines (kept
// with its origin, recounted when its year is loaded) and its overdue watch follows a recounted date.
const revocationWithdrawalChange = "revocation-withdrawal-counted"

// countRevocationWithdrawalDue counts the deadline by which a revoked decision must be off every channel.
func (w *penalty) countRevocationWithdrawalDue(ctx workflow.Context) error {
	wd, f := w.state.Withdrawal, w.facts
	if w.versionOf(ctx, revocationWithdrawalChange) < 1 {
		var due activities.DeadlineResult
		if err := workflow.ExecuteActivity(ctx, acts.Deadline, activities.DeadlineInput{
			From: w.state.Revocation.DecidedOn, Workdays: f.RevocationWithdrawalWorkdays}).Get(ctx, &due); err != nil {
			return err
		}
		wd.DueOn = due.Due
		return nil
	}
	ds, err := countDeadlines(ctx, "penalty", w.caseID(), domain.CaseDeadline{Name: dueRevocationWithdrawal,
		From: w.state.Revocation.DecidedOn, Workdays: f.RevocationWithdrawalWorkdays})
	if err != nil {
		return err
	}
	wd.DueOn, wd.Provisional = ds[0].Due, ds[0].Provisional
	w.revocationDueCounted = true
	return nil
}

// awaitRevocationWithdrawal waits until done holds or the withdrawal deadline is over; a deadline counted with its
// origin is followed when it moves.
func (w *penalty) awaitRevocationWithdrawal(ctx workflow.Context, done func() bool) (bool, error) {
	wd := w.state.Withdrawal
	if !w.revocationDueCounted {
		return awaitUntilEndOf(ctx, wd.DueOn, done)
	}
	inTime, due, err := awaitUntilEndOfMoving(ctx, func() domain.Date { return wd.DueOn }, done)
	wd.DueOn = due
	return inTime, err
}

// PublishDueSignal tells a publication that its due date moved (payload domain.Date): a provisional deadline was
// counted again.
const PublishDueSignal = "publish-due"

// countDeadlines counts the delivery and publication deadlines from the decision and keeps their origins.
func (w *penalty) countDeadlines(ctx workflow.Context) error {
	f := w.facts
	ds := []domain.CaseDeadline{{Name: dueDelivery, From: f.DecidedOn, Workdays: f.DeliveryWorkdays}}
	if f.Published {
		ds = append(ds, domain.CaseDeadline{Name: duePublish, From: f.DecidedOn, Workdays: f.PublicationWorkdays})
	}
	var out []domain.CaseDeadline
	if err := w.startActivity(ctx, "CountDeadlines", acts.CountDeadlines, activities.CountDeadlinesInput{
		CaseKind: "penalty", CaseID: w.caseID(), Deadlines: ds}).Get(ctx, &out); err != nil {
		return err
	}
	for _, d := range out {
		w.setDue(d.Name, d.Due)
	}
	return nil
}

func (w *penalty) setDue(name string, due domain.Date) {
	switch name {
	case dueDelivery:
		w.facts.DeliveryDue, w.state.DeliveryDue = due, due
	case duePublish:
		w.facts.PublishDue = due
	case dueRevocationWithdrawal:
		if w.state.Withdrawal != nil {
			w.state.Withdrawal.DueOn = due
		}
	}
}

// recountDeadlines counts the provisional deadlines again after a notice was loaded and moves what waits on them.
func (w *penalty) recountDeadlines(ctx workflow.Context, sig CalendarChanged) error {
	if err := workflow.Await(ctx, func() bool { return w.loaded }); err != nil {
		return err
	}
	w.countStep()
	r, err := recountDeadlines(ctx, "penalty", w.caseID(), sig.Year)
	if err != nil {
		return err
	}
	for name, m := range r.Moved {
		w.setDue(name, m[1])
	}
	if w.state.Withdrawal != nil && w.revocationDueCounted {
		w.state.Withdrawal.Provisional = slices.Contains(r.Provisional, dueRevocationWithdrawal)
	}
	if m, ok := r.Moved[duePublish]; ok && w.state.Publication == "publishing" {
		if w.pub != nil {
			w.pub.in.DueOn = m[1] // publishing here: its deadline watch follows the new date
			return nil
		}
		if err := workflow.SignalExternalWorkflow(ctx, PublishWorkflowID(w.id), "", PublishDueSignal, m[1]).Get(ctx, nil); err != nil {
			workflow.GetLogger(ctx).Warn("telling the publication its new due date failed", "penalty", w.id, "error", err)
		}
	}
	return nil
}

// periodsFromPublicationChange: once published, a record whose rule set counts its periods from the publication
// date has them counted from the day it was first shown (SAMR Order 45 art. 13).
const periodsFromPublicationChange = "periods-from-publication"

// countPeriodsFromPublication takes the periods counted from the publication date; the waits for eligibility and
// for the end of publication follow the new dates.
func (w *penalty) countPeriodsFromPublication(ctx workflow.Context) {
	if w.versionOf(ctx, periodsFromPublicationChange) < 1 {
		return
	}
	w.recounting++
	defer func() { w.recounting-- }()
	var r activities.PublicationPeriods
	if err := workflow.ExecuteActivity(ctx, acts.CountPeriodsFromPublication, w.id).Get(ctx, &r); err != nil {
		workflow.GetLogger(ctx).Error("counting the periods from the publication date failed", "penalty", w.id, "error", err)
		return
	}
	if !r.RepairEligibleFrom.IsZero() && !w.state.EligibleNotified {
		w.facts.RepairEligibleFrom = r.RepairEligibleFrom
	}
	if r.PublicationEnds.After(w.facts.PublicationEnds) {
		w.facts.PublicationEnds = r.PublicationEnds
	}
}

// awaitEligibility tells the enterprise when it may apply, for published records that a repair can end early; the
// date may move meanwhile (periods counted from the publication date).
func (w *penalty) awaitEligibility(ctx workflow.Context) error {
	for {
		f := w.facts
		if !f.Published || f.AutoEnds || !f.RepairableEarly || !f.RepairEligibleFrom.Before(f.PublicationEnds) ||
			w.state.EligibleNotified {
			return nil
		}
		from := f.RepairEligibleFrom
		moved := func() bool { return w.facts.RepairEligibleFrom != from }
		reached, err := w.sleepUntil(ctx, from.Time(domain.Shanghai), moved)
		if err != nil {
			return err
		}
		if moved() {
			continue
		}
		if reached {
			return w.announceEligibility(ctx)
		}
		return nil
	}
}
