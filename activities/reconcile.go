package activities

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/sdk/activity"

	"xinyong/domain"
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
		info := d.GetWorkflowExecutionInfo()
		status := info.GetStatus()
		switch {
		case in.Kind == storage.ReconcilePenalty || in.Kind == storage.ReconcileListing:
			started = append(started, id)
			if endedUnfinished(status) {
				// Reject-duplicate: it cannot run again, and once marked started the reconciler no longer looks
				// at it, so it is reported now.
				if err := a.reportEnded(ctx, in.Kind, id, wid, info); err != nil {
					return FindOrphansResult{}, err
				}
				res.Ended = append(res.Ended, wid)
			}
		case status == enums.WORKFLOW_EXECUTION_STATUS_RUNNING:
		case in.Kind == storage.ReconcileRepair:
			res.Orphans = append(res.Orphans, id)
		case endedUnfinished(status):
			if err := a.reportEnded(ctx, in.Kind, id, wid, info); err != nil {
				return FindOrphansResult{}, err
			}
			res.Ended = append(res.Ended, wid)
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

// endedWords says in Chinese how a workflow ended without completing (failed, terminated, timed out or
// cancelled); a status not in it is running or completed.
var endedWords = map[enums.WorkflowExecutionStatus]string{
	enums.WORKFLOW_EXECUTION_STATUS_FAILED:     "执行失败",
	enums.WORKFLOW_EXECUTION_STATUS_TERMINATED: "被终止",
	enums.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:  "超时",
	enums.WORKFLOW_EXECUTION_STATUS_CANCELED:   "被取消",
}

// endedUnfinished: the workflow is closed and did not complete.
func endedUnfinished(s enums.WorkflowExecutionStatus) bool {
	_, ok := endedWords[s]
	return ok
}

// reconcileCaseKinds maps the reconciler's kinds to the case kinds of audit entries and tasks.
var reconcileCaseKinds = map[string]domain.CaseKind{
	storage.ReconcileImport: domain.CasePenaltyImport, storage.ReconcilePenalty: domain.CasePenalty,
	storage.ReconcileListing: domain.CasePenalty, storage.ReconcileObjection: domain.CaseObjection,
	storage.ReconcileTraining: domain.CaseTraining, storage.ReconcileRepair: domain.CaseRepair,
}

// reportEnded makes a case row whose workflow ended without completing visible, once per run of the workflow: an
// import is marked failed (its page shows why; an operator who starts import-<id> again brings it back); any other
// case gets an audit entry "<kind>.workflow_ended" and a task in the credit office's inbox, since its row stays in
// progress and its workflow cannot be started again under the same ID.
func (a *Activities) reportEnded(ctx context.Context, kind string, id int64, wid string, info *workflowpb.WorkflowExecutionInfo) error {
	caseKind := reconcileCaseKinds[kind]
	caseID := strconv.FormatInt(id, 10)
	runID := info.GetExecution().GetRunId()
	how := endedWords[info.GetStatus()]
	at := ""
	if ct := info.GetCloseTime(); ct != nil {
		at = ct.AsTime().In(domain.Shanghai).Format("2006-01-02 15:04")
	}
	details := map[string]any{"workflow_id": wid, "run_id": runID, "status": info.GetStatus().String()}
	key := wid + ":ended:" + runID
	entry := storage.AuditEntry{Actor: "system", Role: "system", Action: string(caseKind) + ".workflow_ended",
		CaseKind: string(caseKind), CaseID: caseID, DedupKey: &key}
	if a.Log != nil {
		a.Log.Warn("case in progress whose workflow ended without completing; it needs an operator", "workflow", wid,
			"status", info.GetStatus().String())
	}
	if kind == storage.ReconcileImport {
		failure := fmt.Sprintf("后台启动任务 %s 于 %s %s，本批次未全部启动；尚未启动的记录由系统对账逐条补启动，运维人员重新启动该任务后本批次办结", wid, at, how)
		// Not changed: failed by an earlier attempt of this activity (open its task, which may be missing) or
		// completed meanwhile (nothing to report).
		imp, _, err := a.DB.FailImport(ctx, id, failure, entry, details)
		if err != nil || imp.Status != domain.ImportFailed {
			return err
		}
		return a.DB.OpenTask(ctx, storage.Task{CaseKind: string(caseKind), CaseID: caseID, Step: "workflow.ended",
			Title:        fmt.Sprintf("批量导入第%d号的后台启动%s（已启动 %d / %d），请联系运维人员重新启动", id, how, imp.Started, imp.ToStart),
			AssigneeRole: domain.RoleCreditOffice})
	}
	if err := a.DB.Audit(ctx, entry, details); err != nil {
		return err
	}
	return a.DB.OpenTask(ctx, storage.Task{CaseKind: string(caseKind), CaseID: caseID, Step: "workflow.ended",
		Title:        fmt.Sprintf("%s %s 的办理流程于 %s %s，案件停在办理中，请联系运维人员处理", caseKind.Label(), caseID, at, how),
		AssigneeRole: domain.RoleCreditOffice})
}
