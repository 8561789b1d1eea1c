package workflows

import (
	"fmt"
	"strconv"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	activities "xinyong/activities/contract"
	"xinyong/domain"
	"xinyong/templates/letters"
)

// A record of another procedure (a fraud record, a list entry: domain.RecordKind*) is a row of the penalties table
// with a lifecycle of its own, RecordWorkflow, run under the penalty workflow's ID (PenaltyWorkflowID of the
// record) so that whatever withdraws a penalty withdraws it the same way: a repair case approving the removal of a
// listing signals PenaltyWithdrawSignal and waits for the order, exactly as for a penalty.
//
//  1. The record is published on every channel (PublishWorkflow) by PublishDue.
//  2. It stays there until Until (a fraud record: three years; a serious listing: three years; an abnormal-list
//     entry: no end, Until is zero), or until a withdrawal is requested.
//  3. It is withdrawn everywhere (一件通用) with the requested cause, or cause expiry at the end; records it ends
//     with (a serious listing's penalty) are asked to come down for the same cause.

// RecordWorkflowType is the registered name of RecordWorkflow.
const RecordWorkflowType = "RecordWorkflow"

// RecordParams starts a record's lifecycle.
type RecordParams struct {
	RecordID   int64
	Kind       string
	PublishDue domain.Date
	// Until is the last day of the publication; zero: until withdrawn.
	Until domain.Date
	// ExpiryDecision is printed in the 告知函 of the withdrawal at the end of the period.
	ExpiryDecision string
	// EndsWith are records withdrawn for the same cause when this one is withdrawn on request (the penalty a
	// serious listing rests on).
	EndsWith []int64 `json:",omitempty"`
	// Notice is the letter issued when the record is registered (a serious listing's 信用修复告知书), if any.
	Notice *RecordNotice `json:",omitempty"`
}

// RecordNotice is a letter of a record: its kind and content.
type RecordNotice struct {
	Kind         letters.Kind
	Data         letters.RecordNoticeData
	USCC         string
	DepartmentID string
}

// RecordReadyUpdate waits until the record's letter is issued and answers the state (registration's 201 uses it).
const RecordReadyUpdate = "ready"

// RecordStateQuery answers a record workflow's RecordState.
const RecordStateQuery = "record_state"

// RecordState is what a record's workflow answers to the query "state".
type RecordState struct {
	RecordID  int64       `json:"record_id"`
	Kind      string      `json:"kind"`
	Until     domain.Date `json:"until"`
	Requested string      `json:"requested,omitempty"`
	Withdrawn bool        `json:"withdrawn"`
	// Letters are the letters the workflow issued.
	Letters []activities.LetterRef `json:"letters"`
}

func init() {
	registrars = append(registrars, func(w worker.Registry) {
		w.RegisterWorkflowWithOptions(RecordWorkflow, workflow.RegisterOptions{Name: RecordWorkflowType})
	})
}

// RecordWorkflow publishes a record and withdraws it at the end of its period or when asked.
func RecordWorkflow(ctx workflow.Context, in RecordParams) error {
	ctx = withActivityOptions(ctx)
	st := RecordState{RecordID: in.RecordID, Kind: in.Kind, Until: in.Until}
	if err := workflow.SetQueryHandler(ctx, RecordStateQuery, func() (RecordState, error) { return st, nil }); err != nil {
		return err
	}
	ready := in.Notice == nil
	if err := workflow.SetUpdateHandler(ctx, RecordReadyUpdate, func(ctx workflow.Context) (RecordState, error) {
		err := workflow.Await(ctx, func() bool { return ready })
		return st, err
	}); err != nil {
		return err
	}
	if n := in.Notice; n != nil {
		var ref activities.LetterRef
		if err := workflow.ExecuteActivity(ctx, acts.IssueLetter, activities.IssueLetterInput{
			CaseKind: "penalty", CaseID: strconv.FormatInt(in.RecordID, 10), Version: 1, USCC: n.USCC, DepartmentID: n.DepartmentID,
			Content: &letters.Content{Kind: n.Kind, Data: n.Data}, Data: map[string]any{"record_id": in.RecordID, "kind": in.Kind},
		}).Get(ctx, &ref); err != nil {
			return err
		}
		st.Letters = append(st.Letters, ref)
		ready = true
	}
	var requested *WithdrawRequest
	signals := workflow.GetSignalChannel(ctx, PenaltyWithdrawSignal)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var req WithdrawRequest
			signals.Receive(ctx, &req)
			if requested == nil && req.Cause != "" {
				requested = &req
				st.Requested = string(req.Cause)
			}
		}
	})

	pctx, cancelPublish := workflow.WithCancel(ctx)
	pctx = workflow.WithChildOptions(pctx, workflow.ChildWorkflowOptions{
		WorkflowID: PublishWorkflowID(in.RecordID), TaskQueue: TaskQueue,
	})
	publishing := workflow.ExecuteChildWorkflow(pctx, PublishWorkflow, PublishInput{PenaltyID: in.RecordID, DueOn: in.PublishDue})
	// A provisional publication due date (a list entry's, counted at registration) is counted again when its year's
	// notice is loaded; a publication still running is told the new date.
	var recounting int
	onCalendarChanged(ctx, &recounting, func(ctx workflow.Context, sig CalendarChanged) error {
		return recountRecordDeadlines(ctx, in.RecordID, sig.Year, publishing.IsReady)
	})
	if err := publishing.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
		return err
	}
	if in.Until.IsZero() {
		if err := workflow.Await(ctx, func() bool { return requested != nil }); err != nil {
			return err
		}
	} else if _, err := awaitUntilEndOf(ctx, in.Until, func() bool { return requested != nil }); err != nil {
		return err
	}
	req := requested
	if req == nil {
		req = &WithdrawRequest{Cause: domain.CauseExpiry, CauseRef: "expiry-" + in.Until.String(), CauseDecision: in.ExpiryDecision}
	}
	cancelPublish()
	if err := workflow.ExecuteActivity(ctx, acts.PenaltyStep, activities.PenaltyStepInput{
		PenaltyID: in.RecordID, Status: domain.PenaltyWithdrawing, Action: "record.withdrawal_requested",
		Details: map[string]any{"cause": req.Cause, "cause_ref": req.CauseRef}}).Get(ctx, nil); err != nil {
		return err
	}
	if requested != nil {
		for _, other := range in.EndsWith {
			// The other record's lifecycle may have ended already (it came down by another cause): nothing to do.
			err := workflow.SignalExternalWorkflow(ctx, PenaltyWorkflowID(other), "", PenaltyWithdrawSignal, *req).Get(ctx, nil)
			if err != nil {
				workflow.GetLogger(ctx).Warn("record resting on another: withdrawal signal not delivered", "record", in.RecordID,
					"other", other, "error", err)
			}
		}
	}
	res, err := runWithdrawal(ctx, WithdrawalInput{PenaltyID: in.RecordID, Cause: req.Cause, CauseRef: req.CauseRef,
		CauseDecision: req.CauseDecision})
	if err != nil {
		return err
	}
	st.Withdrawn = true
	if err := workflow.ExecuteActivity(ctx, acts.PenaltyStep, activities.PenaltyStepInput{
		PenaltyID: in.RecordID, Status: domain.PenaltyWithdrawn, Action: "record.withdrawn",
		Details: map[string]any{"cause": req.Cause, "cause_ref": req.CauseRef, "withdrawal": res},
	}).Get(ctx, nil); err != nil {
		return err
	}
	return workflow.Await(ctx, func() bool { return recounting == 0 && workflow.AllHandlersFinished(ctx) })
}

// recountRecordDeadlines counts a record's provisional deadlines again (its publication due date) and tells a
// publication not finished yet its new date.
func recountRecordDeadlines(ctx workflow.Context, recordID int64, year int, published func() bool) error {
	r, err := recountDeadlines(ctx, "penalty", strconv.FormatInt(recordID, 10), year)
	if err != nil {
		return err
	}
	if m, ok := r.Moved[duePublish]; ok && !published() {
		if err := workflow.SignalExternalWorkflow(ctx, PublishWorkflowID(recordID), "", PublishDueSignal, m[1]).Get(ctx, nil); err != nil {
			workflow.GetLogger(ctx).Warn("telling the publication its new due date failed", "record", recordID, "error", err)
		}
	}
	return nil
}

// recordExpiryDecision is the 告知函 wording of a record whose period ended.
func recordExpiryDecision(kind string, until domain.Date) string {
	return fmt.Sprintf("%s已于%s公示期满，依规停止公示", domain.RecordKindLabel(kind), until)
}

// recordTitle names a repaired record in the decision letters.
func recordTitle(kind string) string {
	if kind == "" || kind == domain.RecordKindPenalty {
		return "行政处罚信息"
	}
	return domain.RecordKindLabel(kind) + "信息"
}
