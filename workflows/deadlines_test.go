package workflows

import (
	"context"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	activities "xinyong/activities/contract"
	"xinyong/domain"
)

// mockDeadlineCounting stands in for the deadline activities of deadlines.go: count answers each deadline with
// the date given for its name (or counts it with the embedded calendar), recount moves nothing.
func mockDeadlineCounting(env *testsuite.TestWorkflowEnvironment, given map[string]domain.Date) {
	cal := domain.DefaultCalendar()
	env.OnActivity(acts.CountDeadlines, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.CountDeadlinesInput) ([]domain.CaseDeadline, error) {
			out := make([]domain.CaseDeadline, len(in.Deadlines))
			for i, d := range in.Deadlines {
				if due, ok := given[d.Name]; ok {
					d.Due = due
					out[i] = d
					continue
				}
				out[i] = d.Count(cal)
			}
			return out, nil
		}).Maybe()
	env.OnActivity(acts.RecountDeadlines, mock.Anything, mock.Anything).Return(activities.RecountResult{}, nil).Maybe()
	env.OnActivity(acts.CountPeriodsFromPublication, mock.Anything, mock.Anything).Return(activities.PublicationPeriods{}, nil).Maybe()
}
