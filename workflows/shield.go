package workflows

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	activities "xinyong/activities/contract"
	"xinyong/domain"
	"xinyong/templates/letters"
)

// Bankruptcy shielding (shield-<id>; Order 36 art. 20, Order 107 art. 22). The enterprise or its administrator
// applies with the court's ruling approving the reorganization plan or the settlement; the department decides
// within the rule set's BankruptcyShield working days. Approved, every record of the enterprise the department
// published comes down from every channel (一件通用, cause bankruptcy_shield) with a letter that says the shield is
// temporary. If the court later terminates the plan, the department restores the records: they are republished on
// every channel (an explicit republication, with its own letter). Once the plan is completed, the enterprise
// applies for ordinary repair with the completion ruling; the shield then stays as it is.

// ShieldWorkflowType is the registered name of ShieldWorkflow.
const ShieldWorkflowType = "ShieldWorkflow"

// Updates and query of the shielding workflow; every update answers ShieldState.
const (
	ShieldReadyUpdate   = "ready"
	ShieldDecideUpdate  = "decide"  // ShieldDecision
	ShieldRestoreUpdate = "restore" // ShieldRestore
	ShieldStateQuery    = "state"
)

// CauseBankruptcyShield is the withdrawal cause of a shield.
const CauseBankruptcyShield = "bankruptcy_shield"

// ShieldWorkflowID is the workflow of a shielding case.
func ShieldWorkflowID(id int64) string { return "shield-" + strconv.FormatInt(id, 10) }

// ShieldStartOptions start shield-<id> once.
func ShieldStartOptions(id int64) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{ID: ShieldWorkflowID(id), TaskQueue: TaskQueue}
}

// ShieldDecision shields the records or refuses (with reasons).
type ShieldDecision struct {
	Approved bool   `json:"approved"`
	Reason   string `json:"reason"`
	Actor    string `json:"actor"`
}

// ShieldRestore restores the records after the court terminated the plan; RulingNo is the termination ruling.
type ShieldRestore struct {
	RulingNo string `json:"ruling_no"`
	Reason   string `json:"reason"`
	Actor    string `json:"actor"`
}

// ShieldState is the case as the workflow knows it.
type ShieldState struct {
	activities.ShieldCase
	Letters []activities.LetterRef `json:"letters"`
}

func init() {
	registrars = append(registrars, func(w worker.Registry) {
		w.RegisterWorkflowWithOptions(ShieldWorkflow, workflow.RegisterOptions{Name: ShieldWorkflowType})
	})
}

type shield struct {
	f       activities.ShieldFacts
	s       activities.ShieldCase
	letters []activities.LetterRef
	seq     int
	ready   bool
	restore *ShieldRestore
}

func (w *shield) state() ShieldState {
	return ShieldState{ShieldCase: w.s, Letters: append([]activities.LetterRef{}, w.letters...)}
}

// ShieldWorkflow runs one shielding case.
func ShieldWorkflow(ctx workflow.Context, id int64) error {
	ctx = withActivityOptions(ctx)
	w := &shield{}
	if err := workflow.SetQueryHandler(ctx, ShieldStateQuery, func() (ShieldState, error) { return w.state(), nil }); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandler(ctx, ShieldReadyUpdate, func(ctx workflow.Context) (ShieldState, error) {
		err := workflow.Await(ctx, func() bool { return w.ready })
		return w.state(), err
	}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, ShieldDecideUpdate, func(ctx workflow.Context, req ShieldDecision) (ShieldState, error) {
		err := w.decide(withActivityOptions(ctx), req)
		return w.state(), err
	}, workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, req ShieldDecision) error {
		switch {
		case !w.ready || w.s.Status != domain.ShieldPending:
			return invalid("只有待决定的屏蔽申请可以作出决定；当前状态：" + w.s.Status)
		case !req.Approved && strings.TrimSpace(req.Reason) == "":
			return badValue("reason_required", "不予屏蔽应当说明理由")
		}
		return nil
	}}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, ShieldRestoreUpdate, func(ctx workflow.Context, req ShieldRestore) (ShieldState, error) {
		err := w.restoreNow(withActivityOptions(ctx), req)
		return w.state(), err
	}, workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, req ShieldRestore) error {
		switch {
		case !w.ready || w.s.Status != domain.ShieldShielded || w.restore != nil:
			return invalid("只有已屏蔽的信息可以恢复公示；当前状态：" + w.s.Status)
		case strings.TrimSpace(req.RulingNo) == "":
			return badValue("ruling_no_required", "请填写人民法院终止重整计划（和解协议）执行的裁定书文号")
		}
		return nil
	}}); err != nil {
		return err
	}

	if err := workflow.ExecuteActivity(ctx, acts.LoadShieldFacts, id).Get(ctx, &w.f); err != nil {
		return err
	}
	w.s = w.f.Shield
	if w.s.Status == domain.ShieldPending && w.s.DecisionDue == nil {
		var due activities.DeadlineResult
		if err := workflow.ExecuteActivity(ctx, acts.Deadline, activities.DeadlineInput{From: w.s.AppliedOn,
			Workdays: w.f.Workdays}).Get(ctx, &due); err != nil {
			return err
		}
		w.s.DecisionDue = &due.Due
		if err := workflow.ExecuteActivity(ctx, acts.OpenTask, activities.TaskInput{CaseKind: "shield",
			CaseID: strconv.FormatInt(id, 10), Step: "decision", AssigneeRole: domain.RoleDepartment,
			DepartmentID: w.s.DepartmentID, DueOn: &due.Due,
			Title: fmt.Sprintf("破产重整（和解）信息屏蔽申请（%s，%s）", w.f.EnterpriseName, w.s.RulingNo)}).Get(ctx, nil); err != nil {
			return err
		}
		if err := w.record(ctx, "shield.received", "", map[string]any{"decision_due": due.Due}); err != nil {
			return err
		}
	}
	w.ready = true
	if err := workflow.Await(ctx, func() bool { return w.s.Status != domain.ShieldPending }); err != nil {
		return err
	}
	if w.s.Status == domain.ShieldShielded {
		if err := w.withdrawAll(ctx); err != nil {
			return err
		}
		if err := workflow.Await(ctx, func() bool { return w.restore != nil }); err != nil {
			return err
		}
		if err := w.republishAll(ctx); err != nil {
			return err
		}
	}
	return workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
}

func (w *shield) record(ctx workflow.Context, action, actor string, details map[string]any) error {
	w.seq++
	return workflow.ExecuteActivity(ctx, acts.RecordShieldStep, activities.ShieldStepInput{Shield: w.s, Action: action,
		Actor: actor, Seq: w.seq, Details: details}).Get(ctx, nil)
}

func (w *shield) issue(ctx workflow.Context, kind letters.Kind, d letters.RecordNoticeData, version int) (activities.LetterRef, error) {
	var ref activities.LetterRef
	err := workflow.ExecuteActivity(ctx, acts.IssueLetter, activities.IssueLetterInput{
		CaseKind: "shield", CaseID: strconv.FormatInt(w.s.ID, 10), Version: version, USCC: w.s.USCC,
		DepartmentID: w.s.DepartmentID, Content: &letters.Content{Kind: kind, Data: d}, Data: map[string]any{"shield_id": w.s.ID},
	}).Get(ctx, &ref)
	if err == nil {
		w.letters = append(w.letters, ref)
	}
	return ref, err
}

func (w *shield) titles() []string {
	var out []string
	for _, r := range w.f.Records {
		out = append(out, r.Title)
	}
	return out
}

func (w *shield) decide(ctx workflow.Context, req ShieldDecision) error {
	now := today(ctx)
	reason := strings.TrimSpace(req.Reason)
	w.s.DecidedOn, w.s.DecisionReason = &now, reason
	if !req.Approved {
		w.s.Status = domain.ShieldRefused
		w.s.DecisionNo = activities.ShieldDecisionNo(strings.TrimSuffix(w.f.DepartmentName, "局"), "屏不准", now, w.s.ID)
	} else {
		w.s.Status = domain.ShieldShielded
		w.s.DecisionNo = activities.ShieldDecisionNo(strings.TrimSuffix(w.f.DepartmentName, "局"), "屏", now, w.s.ID)
		for _, r := range w.f.Records {
			w.s.RecordIDs = append(w.s.RecordIDs, r.ID)
		}
		if _, err := w.issue(ctx, letters.KindShieldDecision, letters.RecordNoticeData{
			Issue:          letters.Issue{Issuer: w.f.DepartmentName, Number: w.s.DecisionNo, Date: now.Time(domain.Shanghai)},
			EnterpriseName: w.f.EnterpriseName, USCC: w.s.USCC, RecordTitle: "失信信息", RelatedNo: w.s.RulingNo,
			Reason: reason, Records: w.titles(), Channels: w.f.Channels, From: now.Time(domain.Shanghai),
		}, 1); err != nil {
			return err
		}
	}
	if err := workflow.ExecuteActivity(ctx, acts.CloseTask, activities.CloseTaskInput{CaseKind: "shield",
		CaseID: strconv.FormatInt(w.s.ID, 10), Step: "decision", Status: "done"}).Get(ctx, nil); err != nil {
		return err
	}
	inTime := w.s.DecisionDue == nil || !now.After(*w.s.DecisionDue)
	return w.record(ctx, "shield."+w.s.Status, req.Actor, map[string]any{"decision_no": w.s.DecisionNo, "reason": reason,
		"records": w.s.RecordIDs, "in_time": inTime})
}

// withdrawAll takes every covered record down from every channel, all at once.
func (w *shield) withdrawAll(ctx workflow.Context) error {
	var futures []workflow.Future
	for _, id := range w.s.RecordIDs {
		id := id
		f, set := workflow.NewFuture(ctx)
		futures = append(futures, f)
		workflow.Go(ctx, func(ctx workflow.Context) {
			_, err := runWithdrawal(ctx, WithdrawalInput{PenaltyID: id, Cause: CauseBankruptcyShield,
				CauseRef: ShieldWorkflowID(w.s.ID), CauseDecision: fmt.Sprintf("暂时屏蔽失信信息决定书（%s）", w.s.DecisionNo)})
			set.Set(nil, err)
		})
	}
	for _, f := range futures {
		if err := f.Get(ctx, nil); err != nil {
			return err
		}
	}
	return w.record(ctx, "shield.withdrawn", "", map[string]any{"records": w.s.RecordIDs})
}

func (w *shield) restoreNow(ctx workflow.Context, req ShieldRestore) error {
	now := today(ctx)
	number := activities.ShieldDecisionNo(strings.TrimSuffix(w.f.DepartmentName, "局"), "屏复", now, w.s.ID)
	if _, err := w.issue(ctx, letters.KindShieldRestored, letters.RecordNoticeData{
		Issue:          letters.Issue{Issuer: w.f.DepartmentName, Number: number, Date: now.Time(domain.Shanghai)},
		EnterpriseName: w.f.EnterpriseName, USCC: w.s.USCC, RecordTitle: "失信信息", RelatedNo: w.s.DecisionNo,
		Cause: strings.TrimSpace(req.RulingNo), Reason: strings.TrimSpace(req.Reason), Records: w.titles(),
		Channels: w.f.Channels, From: now.Time(domain.Shanghai),
	}, 2); err != nil {
		return err
	}
	w.s.Status, w.s.RestoredOn, w.s.RestoreRulingNo = domain.ShieldRestored, &now, strings.TrimSpace(req.RulingNo)
	r := req
	w.restore = &r
	return w.record(ctx, "shield.restored", req.Actor, map[string]any{"ruling_no": w.s.RestoreRulingNo, "number": number})
}

// republishAll puts every shielded record back on every channel (an explicit republication each).
func (w *shield) republishAll(ctx workflow.Context) error {
	now := today(ctx)
	var futures []workflow.ChildWorkflowFuture
	for _, id := range w.s.RecordIDs {
		// Under the record's own publication ID, so that manual channels' operators confirm it as any publication.
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID: PublishWorkflowID(id), TaskQueue: TaskQueue,
			WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE})
		futures = append(futures, workflow.ExecuteChildWorkflow(cctx, PublishWorkflow, PublishInput{PenaltyID: id, DueOn: now,
			Republish: fmt.Sprintf("人民法院裁定终止重整计划（和解协议）执行（%s），恢复公示", w.s.RestoreRulingNo)}))
	}
	for i, f := range futures {
		err := f.Get(ctx, nil)
		var already *temporal.ChildWorkflowExecutionAlreadyStartedError
		if errors.As(err, &already) {
			// The record's first publication is still running (a channel never confirmed): it carries on.
			workflow.GetLogger(ctx).Warn("restored record: publication already running", "record", w.s.RecordIDs[i])
			continue
		}
		if err != nil {
			return err
		}
	}
	return w.record(ctx, "shield.republished", "", map[string]any{"records": w.s.RecordIDs})
}
