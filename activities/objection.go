package activities

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"go.temporal.io/sdk/temporal"

	"xinyong/domain"
	"xinyong/storage"
)

// Objections (异议处理): the facts the objection workflow reads once, its steps, the channels' marks and corrections
// (webhook calls with the channel protocol's signature and idempotency key, or operator confirmations), the
// correction of the record with its earlier version kept, and the withdrawal that follows a withdrawn objection.
//
// The webhook body of an objection (X-Xinyong-Event: objection, Idempotency-Key: objection-<id>-<action>-<channel>):
//
//	{"event": "objection", "action": "mark" | "unmark" | "correct", "objection_id": 7, "record": {...},
//	 "mark": "异议处理中" (mark only), "outcome": "upheld" | "corrected" (unmark, correct),
//	 "corrected": {...the record as corrected, its version and what changed...} (correct only), "due_on": "YYYY-MM-DD"}

// LoadObjectionFacts reads an objection with its record, department, enterprise, rule set and channels.
func (a *Activities) LoadObjectionFacts(ctx context.Context, objectionID int64) (ObjectionFacts, error) {
	o, err := a.DB.GetObjection(ctx, objectionID)
	if errors.Is(err, storage.ErrNotFound) {
		return ObjectionFacts{}, temporal.NewNonRetryableApplicationError(err.Error(), "not_found", err)
	}
	if err != nil {
		return ObjectionFacts{}, fmt.Errorf("load objection facts: %w", err)
	}
	p, err := a.DB.GetPenalty(ctx, o.PenaltyID)
	if err != nil {
		return ObjectionFacts{}, fmt.Errorf("load objection facts: %w", err)
	}
	dept, err := a.DB.GetDepartment(ctx, o.DepartmentID)
	if err != nil {
		return ObjectionFacts{}, fmt.Errorf("load objection facts: %w", err)
	}
	ent, err := a.DB.GetEnterprise(ctx, o.USCC)
	if err != nil {
		return ObjectionFacts{}, fmt.Errorf("load objection facts: %w", err)
	}
	rs, err := a.DB.GetResolvedRuleSet(ctx, o.RuleSet)
	if err != nil {
		return ObjectionFacts{}, fmt.Errorf("load objection facts: %w", err)
	}
	as, err := a.DB.AttachmentsOfObjection(ctx, o.ID)
	if err != nil {
		return ObjectionFacts{}, fmt.Errorf("load objection facts: %w", err)
	}
	f := ObjectionFacts{
		ObjectionID: o.ID, PenaltyID: p.ID, RepairID: o.RepairID, Grounds: o.Grounds, Statement: o.Statement,
		FiledOn: o.FiledOn, FiledBy: o.FiledBy, FiledByRole: o.FiledByRole, CommitmentAcceptedAt: o.CommitmentAcceptedAt,
		CommitmentRemoteAddr: o.CommitmentRemoteAddr, USCC: o.USCC, EnterpriseName: p.EnterpriseName,
		LegalRepresentative: ent.LegalRepresentative, DepartmentID: dept.ID, DepartmentName: dept.Name,
		DepartmentContact: dept.Contact, DecisionNo: p.DecisionNo, DecidedOn: p.DecidedOn, PenaltyStatus: p.Status,
		RuleSet: rs.ID, Deadlines: rs.Deadlines, Channels: []ObjectionChannelFacts{},
	}
	for _, at := range as {
		f.AttachmentIDs = append(f.AttachmentIDs, at.ID)
	}
	if o.MarksRecord() {
		cs, err := a.DB.PublishedChannelsOf(ctx, p.ID)
		if err != nil {
			return ObjectionFacts{}, fmt.Errorf("load objection facts: %w", err)
		}
		for _, c := range cs {
			f.Channels = append(f.Channels, ObjectionChannelFacts{ChannelID: c.ChannelID, Name: c.Name, Kind: c.Kind,
				DeadlineWorkdays: c.DeadlineWorkdays})
		}
	}
	if o.RepairID != 0 {
		r, err := a.DB.GetRepair(ctx, o.RepairID)
		if err != nil {
			return ObjectionFacts{}, fmt.Errorf("load objection facts: %w", err)
		}
		f.RepairDecisionNo, f.RepairStatus = r.DecisionNo, r.Status
	}
	return f, nil
}

// RecordObjectionStep writes a step of an objection with its audit entry (and keeps the record's flag in step).
func (a *Activities) RecordObjectionStep(ctx context.Context, in ObjectionStepInput) error {
	actor, role := in.Actor, in.Role
	if actor == "" {
		actor, role = "system", "system"
	}
	id := strconv.FormatInt(in.ObjectionID, 10)
	key := fmt.Sprintf("objection-%d:%d:%s", in.ObjectionID, in.Seq, in.Action)
	return a.DB.RecordObjectionStep(ctx, storage.ObjectionStepRecord{
		ObjectionID: in.ObjectionID, Seq: in.Seq, Progress: storage.ObjectionProgress(in.Progress),
		Audit:   storage.AuditEntry{Actor: actor, Role: role, Action: in.Action, CaseKind: "objection", CaseID: id, DedupKey: &key},
		Details: in.Details,
	})
}

// OpenObjectionChannels records the channel actions (once) and returns them as they stand.
func (a *Activities) OpenObjectionChannels(ctx context.Context, in OpenObjectionChannelsInput) ([]ObjectionChannelRow, error) {
	switch in.Action {
	case domain.ObjectionMark, domain.ObjectionUnmark, domain.ObjectionCorrect:
	default:
		return nil, temporal.NewNonRetryableApplicationError("unknown objection channel action "+string(in.Action), "invalid_action", nil)
	}
	dues := make([]storage.ObjectionChannelDue, len(in.Channels))
	for i, d := range in.Channels {
		dues[i] = storage.ObjectionChannelDue(d)
	}
	cs, err := a.DB.OpenObjectionChannels(ctx, in.ObjectionID, in.Action, dues)
	if err != nil {
		return nil, err
	}
	out := make([]ObjectionChannelRow, 0, len(cs))
	for _, c := range cs {
		out = append(out, ObjectionChannelRow{ChannelID: c.ChannelID, Name: c.Name, Kind: c.Kind, Action: c.Action,
			Status: c.Status, DueOn: c.DueOn, ConfirmedAt: c.ConfirmedAt.Time, Reference: c.Reference})
	}
	return out, nil
}

func objectionConfirmationOf(oc storage.ObjectionChannel) ObjectionChannelConfirmation {
	return ObjectionChannelConfirmation{ChannelID: oc.ChannelID, Action: oc.Action, Status: oc.Status,
		ConfirmedAt: oc.ConfirmedAt.Time, Reference: oc.Reference, ConfirmedBy: oc.ConfirmedBy, Attempts: oc.Attempts}
}

// ObjectionIdempotencyKey is the Idempotency-Key of every call to a channel for one action of an objection.
func ObjectionIdempotencyKey(objectionID int64, action domain.ObjectionAction, channelID string) string {
	return "objection-" + strconv.FormatInt(objectionID, 10) + "-" + string(action) + "-" + channelID
}

// NotifyObjectionChannel calls a webhook channel's system for one action of an objection: a signed POST with the
// action's idempotency key. A 2xx answer confirms it (and marks, unmarks or updates the record's publication
// there); anything else is an error for Temporal to retry with backoff. Every attempt is counted; a confirmed or
// cancelled action is not sent again.
func (a *Activities) NotifyObjectionChannel(ctx context.Context, in ObjectionChannelInput) (ObjectionChannelConfirmation, error) {
	oc, err := a.DB.BeginObjectionAttempt(ctx, in.ObjectionID, in.ChannelID, in.Action)
	if err != nil {
		return ObjectionChannelConfirmation{}, err
	}
	if oc.Status == domain.ChannelConfirmed || oc.Status == domain.ChannelCancelled {
		return objectionConfirmationOf(oc), nil
	}
	if oc.Kind != domain.ChannelWebhook {
		return ObjectionChannelConfirmation{}, fmt.Errorf("objection %d: channel %s is no longer a webhook channel", in.ObjectionID, in.ChannelID)
	}
	body, err := a.objectionPayload(ctx, in, oc)
	if err != nil {
		return ObjectionChannelConfirmation{}, err
	}
	ref, err := a.postSigned(ctx, in.ChannelID, oc.EndpointURL, oc.Secret, ObjectionIdempotencyKey(in.ObjectionID, in.Action, in.ChannelID), "objection", body)
	if err != nil {
		if rerr := a.DB.RecordObjectionAttemptError(ctx, in.ObjectionID, in.ChannelID, in.Action, err.Error()); rerr != nil {
			a.logWarn("record objection attempt error", "objection", in.ObjectionID, "channel", in.ChannelID, "err", rerr)
		}
		return ObjectionChannelConfirmation{}, fmt.Errorf("objection %d %s on %s: %w", in.ObjectionID, in.Action, in.ChannelID, err)
	}
	confirmed, err := a.DB.ConfirmObjectionChannel(ctx, in.ObjectionID, in.ChannelID, in.Action, ref, "webhook")
	if err != nil {
		return ObjectionChannelConfirmation{}, err
	}
	return objectionConfirmationOf(confirmed), nil
}

func (a *Activities) objectionPayload(ctx context.Context, in ObjectionChannelInput, oc storage.ObjectionChannel) (ObjectionPayload, error) {
	o, err := a.DB.GetObjection(ctx, in.ObjectionID)
	if err != nil {
		return ObjectionPayload{}, err
	}
	p, err := a.DB.GetPenalty(ctx, o.PenaltyID)
	if err != nil {
		return ObjectionPayload{}, err
	}
	body := ObjectionPayload{Event: "objection", Action: in.Action, ObjectionID: o.ID,
		Record: recordOf(p.ID, p.DecisionNo, p.USCC, p.EnterpriseName, o.DepartmentName, p.DecidedOn), DueOn: oc.DueOn.String()}
	switch in.Action {
	case domain.ObjectionMark:
		body.Mark = ObjectionMarkText
	case domain.ObjectionUnmark:
		body.Outcome = o.Outcome
	case domain.ObjectionCorrect:
		body.Outcome = o.Outcome
		version, err := a.DB.PenaltyVersion(ctx, p.ID)
		if err != nil {
			return ObjectionPayload{}, err
		}
		c := &CorrectedRecordPayload{Version: version, DecisionNo: p.DecisionNo, EnterpriseName: p.EnterpriseName,
			DecidedOn: p.DecidedOn.String(), PenaltyTypes: []string(p.PenaltyTypes), FineAmountYuan: p.FineAmountYuan,
			Facts: p.Facts, LegalBasis: p.LegalBasis, Class: p.Class, PublicationEnds: p.PublicationEnds.String()}
		vs, err := a.DB.PenaltyVersions(ctx, p.ID)
		if err != nil {
			return ObjectionPayload{}, err
		}
		for _, v := range vs {
			if v.ObjectionID == o.ID {
				c.Changes = v.Changes
			}
		}
		body.Corrected = c
	}
	return body, nil
}

// MarkObjectionChannelSent records that a manual channel's operator has the action in their queue.
func (a *Activities) MarkObjectionChannelSent(ctx context.Context, in ObjectionChannelInput) error {
	return a.DB.MarkObjectionChannelSent(ctx, in.ObjectionID, in.ChannelID, in.Action)
}

// ConfirmObjectionChannel records an operator's confirmation (the first one stands) and applies it to the record's
// publication on that channel.
func (a *Activities) ConfirmObjectionChannel(ctx context.Context, in ConfirmObjectionChannelInput) (ObjectionChannelConfirmation, error) {
	oc, err := a.DB.ConfirmObjectionChannel(ctx, in.ObjectionID, in.ChannelID, in.Action, in.Reference, in.By)
	if err != nil {
		return ObjectionChannelConfirmation{}, err
	}
	return objectionConfirmationOf(oc), nil
}

// MarkObjectionChannelOverdue flags a channel action not confirmed by its due date.
func (a *Activities) MarkObjectionChannelOverdue(ctx context.Context, in ObjectionChannelInput) error {
	return a.DB.MarkObjectionChannelOverdue(ctx, in.ObjectionID, in.ChannelID, in.Action)
}

// CancelObjectionChannel cancels a channel action that is no longer needed.
func (a *Activities) CancelObjectionChannel(ctx context.Context, in ObjectionChannelInput) error {
	return a.DB.CancelObjectionChannel(ctx, in.ObjectionID, in.ChannelID, in.Action)
}

// ClearObjectionMarks removes an objection's marks from a record that came down everywhere.
func (a *Activities) ClearObjectionMarks(ctx context.Context, objectionID int64) error {
	return a.DB.ClearObjectionMarks(ctx, objectionID)
}

// CorrectPenalty corrects the record once per objection, keeping the values it replaces as an earlier version,
// and returns the record's new version.
func (a *Activities) CorrectPenalty(ctx context.Context, in CorrectPenaltyInput) (int, error) {
	v, err := a.DB.CorrectPenalty(ctx, in.ObjectionID, in.PenaltyID, in.Correction, in.Reason, in.By)
	switch {
	case errors.Is(err, storage.ErrConflict):
		return 0, temporal.NewNonRetryableApplicationError("本部门已有相同文号的行政处罚决定书，不能更正为该文号", ErrDuplicateDecisionNo, err)
	case errors.Is(err, storage.ErrNotFound):
		return 0, temporal.NewNonRetryableApplicationError(err.Error(), "not_found", err)
	}
	return v, err
}

// CheckObjectionWithdrawal reports how the withdrawal after an objection stands, without waiting.
func (a *Activities) CheckObjectionWithdrawal(ctx context.Context, in ObjectionWithdrawalInput) (ObjectionWithdrawalResult, error) {
	w, err := a.DB.WithdrawalAfterObjection(ctx, in.PenaltyID, in.ObjectionID)
	if err != nil {
		return ObjectionWithdrawalResult{}, err
	}
	return ObjectionWithdrawalResult{Done: w.Done, WithdrawalID: w.WithdrawalID, Cause: w.Cause, Status: w.Status,
		PenaltyStatus: w.PenaltyStatus}, nil
}

// AwaitObjectionWithdrawal answers once the record is withdrawn everywhere and fails (retryably) until then.
func (a *Activities) AwaitObjectionWithdrawal(ctx context.Context, in ObjectionWithdrawalInput) (ObjectionWithdrawalResult, error) {
	res, err := a.CheckObjectionWithdrawal(ctx, in)
	if err != nil {
		return res, err
	}
	if !res.Done {
		return ObjectionWithdrawalResult{}, temporal.NewApplicationErrorWithOptions(
			fmt.Sprintf("record %d not yet withdrawn everywhere (order %d: %s)", in.PenaltyID, res.WithdrawalID, res.Status),
			ErrObjectionWithdrawalPending, pollOptions)
	}
	return res, nil
}
