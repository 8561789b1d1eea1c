package workflows

import (
	"go.temporal.io/sdk/workflow"

	activities "xinyong/activities/contract"
	"xinyong/domain"
)

// Provisional deadlines of penalties, objections and withdrawals (issue 13), the way repair cases have them
// (repair_calendar.go): each deadline is counted by the CountDeadlines activity, which keeps how it was counted;
// when a year's notice is loaded the server signals SignalCalendarChanged, the case has its provisional deadlines
// counted again (RecountDeadlines: stored dates, the case's columns and tasks, and the change in its history),
// takes the new dates and its timers follow them (awaitUntilEndOfMoving).

// Changes of the workflows' shape (workflow.GetVersion), so that recorded histories still replay.
const (
	// deadlinesCountChange: a case counts its deadlines through CountDeadlines (kept with their origins).
	deadlinesCountChange = "deadlines-counted-with-origins"
	// calendarRecountChange: a case takes SignalCalendarChanged and counts its provisional deadlines again. Asked
	// only when the signal arrives, so a case started before the change takes it too.
	calendarRecountChange = "calendar-recount"
)

// provisionalText follows a provisional date in a message (暂定: its year's holiday notice is not published yet).
const provisionalText = "（暂定，节假日安排公布后重新计算）"

// countDeadlines counts deadlines of a case with the calendar as it is and keeps them with their origins.
func countDeadlines(ctx workflow.Context, kind domain.CaseKind, caseID string, ds ...domain.CaseDeadline) ([]domain.CaseDeadline, error) {
	var out []domain.CaseDeadline
	err := workflow.ExecuteActivity(ctx, acts.CountDeadlines, activities.CountDeadlinesInput{
		CaseKind: kind, CaseID: caseID, Deadlines: ds}).Get(ctx, &out)
	return out, err
}

// recountDeadlines has a case's provisional deadlines counted again after the notice for year was loaded.
func recountDeadlines(ctx workflow.Context, kind domain.CaseKind, caseID string, year int) (activities.RecountResult, error) {
	var r activities.RecountResult
	err := workflow.ExecuteActivity(ctx, acts.RecountDeadlines, activities.RecountDeadlinesInput{
		CaseKind: kind, CaseID: caseID, Year: year}).Get(ctx, &r)
	return r, err
}

// onCalendarChanged takes SignalCalendarChanged for the rest of the run and calls recount for each (from
// calendarRecountChange on); busy counts the recounts in flight, which a continue-as-new waits for.
func onCalendarChanged(ctx workflow.Context, busy *int, recount func(ctx workflow.Context, sig CalendarChanged) error) workflow.ReceiveChannel {
	ch := workflow.GetSignalChannel(ctx, SignalCalendarChanged)
	workflow.Go(ctx, func(ctx workflow.Context) {
		actx := withActivityOptions(ctx)
		for {
			var sig CalendarChanged
			ch.Receive(ctx, &sig)
			if workflow.GetVersion(ctx, calendarRecountChange, workflow.DefaultVersion, 1) < 1 {
				continue
			}
			*busy++
			if err := recount(actx, sig); err != nil {
				workflow.GetLogger(ctx).Error("recounting provisional deadlines failed", "error", err)
			}
			*busy--
		}
	})
	return ch
}

// awaitUntilEndOfMoving waits until cond holds or the date due() answers is over; when that date moves meanwhile
// (a provisional deadline counted again) the wait follows the new date. It reports whether cond held in time and
// the date the wait ended with.
func awaitUntilEndOfMoving(ctx workflow.Context, due func() domain.Date, cond func() bool) (bool, domain.Date, error) {
	for {
		d := due()
		inTime, err := awaitUntilEndOf(ctx, d, func() bool { return cond() || due() != d })
		if err != nil {
			return false, d, err
		}
		if due() != d && !cond() {
			continue
		}
		return inTime, d, nil
	}
}
