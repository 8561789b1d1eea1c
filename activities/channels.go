package activities

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"go.temporal.io/sdk/temporal"

	"xinyong/domain"
	"xinyong/storage"
)

// OrderWithdrawal creates (or finds: one order per record and cause) the withdrawal order with one row per channel
// the record is published on, each due its channel's working-day deadline after the order, and returns its id.
func (a *Activities) OrderWithdrawal(ctx context.Context, in WithdrawalInput) (int64, error) {
	if !validCause(in.Cause) {
		return 0, temporal.NewNonRetryableApplicationError("unknown withdrawal cause "+string(in.Cause), "invalid_cause", nil)
	}
	if in.OrderedOn.IsZero() {
		in.OrderedOn = domain.Today()
	}
	cal, err := a.DB.LoadCalendar(ctx)
	if err != nil {
		return 0, fmt.Errorf("order withdrawal: %w", err)
	}
	id, _, err := a.DB.OrderWithdrawal(ctx, storage.NewWithdrawal{PenaltyID: in.PenaltyID, Cause: in.Cause, CauseRef: in.CauseRef,
		CauseDecision: in.CauseDecision, OrderedOn: in.OrderedOn}, cal)
	if errors.Is(err, storage.ErrNotFound) {
		return 0, temporal.NewNonRetryableApplicationError(err.Error(), "not_found", err)
	}
	return id, err
}

func validCause(c domain.WithdrawalCause) bool {
	for _, k := range domain.WithdrawalCauses {
		if c == k {
			return true
		}
	}
	return false
}

// LoadWithdrawal reads an order with its record and channels.
func (a *Activities) LoadWithdrawal(ctx context.Context, id int64) (WithdrawalFacts, error) {
	w, err := a.DB.GetWithdrawal(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return WithdrawalFacts{}, temporal.NewNonRetryableApplicationError(err.Error(), "not_found", err)
	}
	if err != nil {
		return WithdrawalFacts{}, fmt.Errorf("load withdrawal: %w", err)
	}
	cs, err := a.DB.WithdrawalChannels(ctx, id)
	if err != nil {
		return WithdrawalFacts{}, fmt.Errorf("load withdrawal: %w", err)
	}
	f := WithdrawalFacts{ID: w.ID, PenaltyID: w.PenaltyID, Cause: w.Cause, CauseRef: w.CauseRef, CauseDecision: w.CauseDecision,
		Status: w.Status, OrderedOn: w.OrderedOn, LetterID: w.LetterID.Int64, DepartmentID: w.DepartmentID,
		DepartmentName: w.DepartmentName, DecisionNo: w.DecisionNo, DecidedOn: w.DecidedOn, USCC: w.USCC, EnterpriseName: w.EnterpriseName}
	p, err := a.DB.GetPenalty(ctx, w.PenaltyID)
	if err != nil {
		return WithdrawalFacts{}, fmt.Errorf("load withdrawal: penalty %d: %w", w.PenaltyID, err)
	}
	rs, err := a.DB.GetResolvedRuleSet(ctx, p.RuleSet)
	if err != nil {
		return WithdrawalFacts{}, fmt.Errorf("load withdrawal: rule set %s: %w", p.RuleSet, err)
	}
	f.Regulation = rs.WithdrawalRegulation()
	for _, c := range cs {
		cf := WithdrawalChannelFacts{ChannelID: c.ChannelID, Name: c.Name, Kind: c.Kind, DueOn: c.DueOn, Provisional: c.Provisional, Status: c.Status, Reference: c.Reference}
		if c.ConfirmedAt.Valid {
			cf.ConfirmedAt = c.ConfirmedAt.Time
		}
		f.Channels = append(f.Channels, cf)
	}
	return f, nil
}

// RecordWithdrawalLetter stores the 告知函 on the order (the first stays) and moves the order in progress.
func (a *Activities) RecordWithdrawalLetter(ctx context.Context, in WithdrawalLetterInput) error {
	return a.DB.SetWithdrawalLetter(ctx, in.WithdrawalID, in.LetterID)
}

func confirmationOf(wc storage.WithdrawalChannel) ChannelConfirmation {
	return ChannelConfirmation{ChannelID: wc.ChannelID, ConfirmedAt: wc.ConfirmedAt.Time, Reference: wc.Reference,
		ConfirmedBy: wc.ConfirmedBy, Attempts: wc.Attempts}
}

// MarkWithdrawalChannelSent records that a manual channel's operator has the order in their queue.
func (a *Activities) MarkWithdrawalChannelSent(ctx context.Context, in WithdrawalChannelInput) error {
	return a.DB.MarkWithdrawalChannelSent(ctx, in.WithdrawalID, in.ChannelID)
}

// ConfirmWithdrawalChannel records a channel's confirmation (the first one stands) and the record withdrawn there.
func (a *Activities) ConfirmWithdrawalChannel(ctx context.Context, in ConfirmChannelInput) (ChannelConfirmation, error) {
	wc, err := a.DB.ConfirmWithdrawalChannel(ctx, in.WithdrawalID, in.ChannelID, in.Reference, in.By)
	if err != nil {
		return ChannelConfirmation{}, err
	}
	return confirmationOf(wc), nil
}

// MarkWithdrawalChannelOverdue flags a channel that did not confirm by its due date.
func (a *Activities) MarkWithdrawalChannelOverdue(ctx context.Context, in WithdrawalChannelInput) error {
	return a.DB.MarkWithdrawalChannelOverdue(ctx, in.WithdrawalID, in.ChannelID)
}

// CompleteWithdrawal closes an order whose channels all confirmed and marks the record's publications withdrawn.
func (a *Activities) CompleteWithdrawal(ctx context.Context, id int64) (WithdrawalOutcome, error) {
	w, err := a.DB.CompleteWithdrawal(ctx, id)
	if err != nil {
		return WithdrawalOutcome{}, err
	}
	return WithdrawalOutcome{WithdrawalID: w.ID, CompletedAt: w.CompletedAt.Time}, nil
}

// ErrWithdrawalOpen is the retryable answer of AwaitWithdrawalCompleted while the order still runs.
const ErrWithdrawalOpen = "withdrawal_open"

// AwaitWithdrawalCompleted answers once an order is completed and fails (to be retried) before: a caller whose
// child workflow was already started by someone else waits for it this way.
func (a *Activities) AwaitWithdrawalCompleted(ctx context.Context, id int64) (WithdrawalOutcome, error) {
	w, err := a.DB.GetWithdrawal(ctx, id)
	if err != nil {
		return WithdrawalOutcome{}, err
	}
	if w.Status != domain.WithdrawalCompleted {
		return WithdrawalOutcome{}, temporal.NewApplicationError(fmt.Sprintf("withdrawal %d is %s", id, w.Status), ErrWithdrawalOpen)
	}
	return WithdrawalOutcome{WithdrawalID: w.ID, CompletedAt: w.CompletedAt.Time}, nil
}

// NotifyWithdrawalChannel sends the order to a webhook channel's system: a signed POST with the order's
// idempotency key. A 2xx answer confirms the channel; anything else is an error for Temporal to retry with
// backoff, for as long as it takes. Every attempt is counted on the order. A confirmed channel is not called
// again.
func (a *Activities) NotifyWithdrawalChannel(ctx context.Context, in WithdrawalChannelInput) (ChannelConfirmation, error) {
	wc, err := a.DB.BeginWithdrawalAttempt(ctx, in.WithdrawalID, in.ChannelID)
	if err != nil {
		return ChannelConfirmation{}, err
	}
	if wc.Status == domain.ChannelConfirmed {
		return confirmationOf(wc), nil
	}
	if wc.Kind != domain.ChannelWebhook {
		return ChannelConfirmation{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("withdrawal %d: channel %s is no longer a webhook channel", in.WithdrawalID, in.ChannelID), ErrNotWebhook, nil)
	}
	w, err := a.DB.GetWithdrawal(ctx, in.WithdrawalID)
	if err != nil {
		return ChannelConfirmation{}, err
	}
	body := WithdrawalPayload{
		Event: "withdrawal", WithdrawalID: w.ID, Cause: w.Cause, CauseDecision: w.CauseDecision,
		Record: recordOf(w.PenaltyID, w.DecisionNo, w.USCC, w.EnterpriseName, w.DepartmentName, w.DecidedOn),
		DueOn:  wc.DueOn.String(),
	}
	if w.LetterID.Valid {
		l, err := a.DB.GetLetter(ctx, w.LetterID.Int64)
		if err != nil {
			return ChannelConfirmation{}, err
		}
		body.LetterID = l.ID
		body.VerifyURL = strings.TrimRight(a.BaseURL, "/") + "/verify/" + l.VerifyCode
	}
	ref, err := a.postSigned(ctx, wc.ChannelID, wc.EndpointURL, wc.Secret, WithdrawalIdempotencyKey(w.ID, wc.ChannelID), "withdrawal", body)
	if err != nil {
		if rerr := a.DB.RecordWithdrawalAttemptError(ctx, w.ID, wc.ChannelID, err.Error()); rerr != nil {
			a.logWarn("record withdrawal attempt error", "withdrawal", w.ID, "channel", wc.ChannelID, "err", rerr)
		}
		return ChannelConfirmation{}, fmt.Errorf("withdrawal %d channel %s: %w", w.ID, wc.ChannelID, err)
	}
	confirmed, err := a.DB.ConfirmWithdrawalChannel(ctx, w.ID, wc.ChannelID, ref, "webhook")
	if err != nil {
		return ChannelConfirmation{}, err
	}
	return confirmationOf(confirmed), nil
}

// WithdrawalIdempotencyKey is the Idempotency-Key of every attempt to notify a channel of an order.
func WithdrawalIdempotencyKey(withdrawalID int64, channelID string) string {
	return "withdrawal-" + strconv.FormatInt(withdrawalID, 10) + "-" + channelID
}

// PublicationIdempotencyKey is the Idempotency-Key of every attempt to publish a record on a channel.
func PublicationIdempotencyKey(penaltyID int64, channelID string) string {
	return "publish-" + strconv.FormatInt(penaltyID, 10) + "-" + channelID
}

func isNotWebhook(err error) bool {
	var ae *temporal.ApplicationError
	return errors.As(err, &ae) && ae.Type() == ErrNotWebhook
}

func recordOf(penaltyID int64, decisionNo, uscc, enterprise, department string, decidedOn domain.Date) RecordPayload {
	return RecordPayload{PenaltyID: penaltyID, DecisionNo: decisionNo, USCC: uscc, EnterpriseName: enterprise,
		Department: department, DecidedOn: decidedOn.String()}
}

func (a *Activities) logWarn(msg string, args ...any) {
	if a.Log != nil {
		a.Log.Warn(msg, args...)
	}
}

// Publication (双公示).

// CreatePublications creates the record's pending publications (once; none once a withdrawal was ordered) and
// returns them.
func (a *Activities) CreatePublications(ctx context.Context, in CreatePublicationsInput) (PublishFacts, error) {
	p, err := a.DB.GetPenalty(ctx, in.PenaltyID)
	if errors.Is(err, storage.ErrNotFound) {
		return PublishFacts{}, temporal.NewNonRetryableApplicationError(err.Error(), "not_found", err)
	}
	if err != nil {
		return PublishFacts{}, fmt.Errorf("create publications: %w", err)
	}
	ts, err := a.DB.CreatePublications(ctx, in.PenaltyID, in.DueOn)
	if err != nil {
		return PublishFacts{}, err
	}
	f := PublishFacts{PenaltyID: p.ID, DecisionNo: p.DecisionNo, EnterpriseName: p.EnterpriseName, DepartmentID: p.DepartmentID,
		Published: p.Published}
	for _, t := range ts {
		f.Channels = append(f.Channels, PublicationChannel{ChannelID: t.ChannelID, Name: t.Name, Kind: t.Kind, Status: t.Status, Blocked: t.Blocked})
	}
	return f, nil
}

// PublishToChannel sends a record to a webhook channel (signed POST, idempotency key per record and channel) and
// marks it published on a 2xx answer. It sends nothing when the record was ordered withdrawn: no late publish
// or retry re-inserts a withdrawn record.
func (a *Activities) PublishToChannel(ctx context.Context, in PublicationChannelInput) (PublicationResult, error) {
	res := PublicationResult{ChannelID: in.ChannelID}
	if err := a.DB.CountPublicationAttempt(ctx, in.PenaltyID, in.ChannelID); err != nil {
		return res, err
	}
	p, err := a.DB.GetPenalty(ctx, in.PenaltyID)
	if err != nil {
		return res, err
	}
	dept, err := a.DB.GetDepartment(ctx, p.DepartmentID)
	if err != nil {
		return res, err
	}
	err = a.DB.Publish(ctx, in.PenaltyID, in.ChannelID, func(t storage.PublicationTarget) (string, error) {
		if t.Kind != domain.ChannelWebhook {
			return "", temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("publication of penalty %d: channel %s is no longer a webhook channel", in.PenaltyID, in.ChannelID), ErrNotWebhook, nil)
		}
		body := PublicationPayload{Event: "publication",
			Record: recordOf(p.ID, p.DecisionNo, p.USCC, p.EnterpriseName, dept.Name, p.DecidedOn),
			Class:  p.Class, PenaltyTypes: []string(p.PenaltyTypes), PublicationEnds: p.PublicationEnds.String()}
		if t.DueOn != nil {
			body.DueOn = t.DueOn.String()
		}
		return a.postSigned(ctx, t.ChannelID, t.EndpointURL, t.Secret, PublicationIdempotencyKey(p.ID, t.ChannelID), "publication", body)
	})
	switch {
	case errors.Is(err, storage.ErrWithdrawnRecord):
		res.Withdrawn = true
		return res, nil
	case isNotWebhook(err):
		return res, err
	case err != nil:
		if rerr := a.DB.RecordPublicationError(ctx, in.PenaltyID, in.ChannelID, err.Error()); rerr != nil {
			a.logWarn("record publication error", "penalty", in.PenaltyID, "channel", in.ChannelID, "err", rerr)
		}
		return res, fmt.Errorf("publish penalty %d on %s: %w", in.PenaltyID, in.ChannelID, err)
	}
	res.Published = true
	return res, nil
}

// ConfirmPublication marks a record published on a manual channel; a withdrawn record is not (Withdrawn).
func (a *Activities) ConfirmPublication(ctx context.Context, in ConfirmPublicationInput) (PublicationResult, error) {
	res := PublicationResult{ChannelID: in.ChannelID}
	err := a.DB.Publish(ctx, in.PenaltyID, in.ChannelID, func(storage.PublicationTarget) (string, error) { return in.Reference, nil })
	if errors.Is(err, storage.ErrWithdrawnRecord) {
		res.Withdrawn = true
		return res, nil
	}
	if err != nil {
		return res, err
	}
	key := "publish-" + strconv.FormatInt(in.PenaltyID, 10) + "-confirmed-" + in.ChannelID
	if err := a.DB.Audit(ctx, storage.AuditEntry{Actor: in.By, Role: string(domain.RoleChannelOperator), Action: "publication.confirmed",
		CaseKind: "penalty", CaseID: strconv.FormatInt(in.PenaltyID, 10), DedupKey: &key},
		map[string]any{"channel_id": in.ChannelID, "reference": in.Reference}); err != nil {
		return res, err
	}
	res.Published = true
	return res, nil
}

// MarkPublicationOverdue flags a publication not done by its due date.
func (a *Activities) MarkPublicationOverdue(ctx context.Context, in PublicationChannelInput) error {
	return a.DB.MarkPublicationOverdue(ctx, in.PenaltyID, in.ChannelID)
}

// Republish resets a withdrawn record's publications to pending and records the decision.
func (a *Activities) Republish(ctx context.Context, in RepublishInput) error {
	return a.DB.Republish(ctx, in.PenaltyID, in.Reason, in.Key)
}
