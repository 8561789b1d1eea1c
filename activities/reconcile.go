package activities

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"

	"xinyong/storage"
)

// FindOrphanCases finds rows without a running workflow, asking Temporal through the worker's client (workflow IDs
// are "<kind>-<id>", see workflows/ids.go): a workflow never started, or, for a repair case, one that ended while
// its row is still in progress (a new run resumes it from the row). A penalty whose lifecycle runs or ran is marked
// started, so it is not looked at again; an objection whose workflow ended with its row open cannot be run again
// (reject-duplicate) and is only logged.
func (a *Activities) FindOrphanCases(ctx context.Context, in FindOrphansInput) (FindOrphansResult, error) {
	tc := activity.GetClient(ctx)
	ids, err := a.DB.CasesAwaitingWorkflow(ctx, in.Kind, in.AfterID, in.CreatedBefore, in.Limit)
	if err != nil {
		return FindOrphansResult{}, err
	}
	res := FindOrphansResult{Orphans: []int64{}, LastID: in.AfterID, More: len(ids) == in.Limit}
	var started []int64
	for _, id := range ids {
		activity.RecordHeartbeat(ctx, id)
		res.LastID = id
		prefix := in.Kind
		if in.Kind == storage.ReconcileListing {
			prefix = storage.ReconcilePenalty // a list entry's lifecycle runs under penalty-<id>
		}
		wid := prefix + "-" + strconv.FormatInt(id, 10)
		d, err := tc.DescribeWorkflowExecution(ctx, wid, "")
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			res.Orphans = append(res.Orphans, id)
			continue
		}
		if err != nil {
			return FindOrphansResult{}, fmt.Errorf("describe %s: %w", wid, err)
		}
		status := d.GetWorkflowExecutionInfo().GetStatus()
		switch {
		case in.Kind == storage.ReconcilePenalty || in.Kind == storage.ReconcileListing:
			started = append(started, id)
		case status == enums.WORKFLOW_EXECUTION_STATUS_RUNNING:
		case in.Kind == storage.ReconcileRepair:
			res.Orphans = append(res.Orphans, id)
		default:
			if a.Log != nil {
				a.Log.Warn("case in progress whose workflow ended; it needs an operator", "workflow", wid, "status", status.String())
			}
		}
	}
	if len(started) > 0 {
		if _, err := a.DB.MarkLifecyclesStarted(ctx, started); err != nil {
			return FindOrphansResult{}, err
		}
	}
	if in.Kind == storage.ReconcileTraining && len(res.Orphans) > 0 {
		res.Sessions = map[int64]TrainingSession{}
		for _, id := range res.Orphans {
			t, err := a.DB.GetTraining(ctx, id)
			if err != nil {
				return FindOrphansResult{}, err
			}
			res.Sessions[id] = TrainingSession{TrainingID: t.ID, Title: t.Title, StartsAt: t.StartsAt, EndsAt: t.EndsAt,
				Venue: t.Venue, Capacity: t.Capacity, ClassHours: t.ClassHours, AgencyLogin: t.AgencyLogin,
				AgencyName: t.AgencyName, PassScore: t.PassScore, Organizer: t.Organizer}
		}
	}
	if in.Kind == storage.ReconcileListing && len(res.Orphans) > 0 {
		res.Listings = map[int64]ListingLifecycle{}
		for _, id := range res.Orphans {
			l, err := a.listingLifecycle(ctx, id)
			if err != nil {
				return FindOrphansResult{}, err
			}
			res.Listings[id] = l
		}
	}
	return res, nil
}

// listingLifecycle reads a stored list entry as its record workflow starts from it.
func (a *Activities) listingLifecycle(ctx context.Context, id int64) (ListingLifecycle, error) {
	p, err := a.DB.GetPenalty(ctx, id)
	if err != nil {
		return ListingLifecycle{}, err
	}
	d, err := a.DB.GetDepartment(ctx, p.DepartmentID)
	if err != nil {
		return ListingLifecycle{}, err
	}
	l := ListingLifecycle{RecordID: p.ID, Kind: p.RecordKind, Number: p.DecisionNo, USCC: p.USCC, EnterpriseName: p.EnterpriseName,
		DepartmentID: p.DepartmentID, DepartmentName: d.Name, DepartmentContact: d.Contact, ListedOn: p.DecidedOn, Facts: p.Facts,
		PublishDue: p.PublishDue, EligibleFrom: p.RepairEligibleFrom, Ends: p.PublicationEnds, RegisteredAt: p.CreatedAt}
	if p.RestsOn.Valid {
		l.RestsOn = p.RestsOn.Int64
		if r, err := a.DB.GetPenalty(ctx, l.RestsOn); err == nil {
			l.RestsOnDecisionNo = r.DecisionNo
		}
	}
	return l, nil
}
