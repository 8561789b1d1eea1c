package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/sdk/temporal"

	"xinyong/activities/contract"
	"xinyong/domain"
	"xinyong/storage"
	"xinyong/templates/letters"
)

// Results of cases pushed in by a channel (POST /api/v1/inbound/{channel}/...), sent back to that channel by
// InboundResultWorkflow: AwaitInboundResult polls the case's row until it has a result and builds the event once;
// SendInboundResult posts it, signed, with the case's idempotency key, until the channel confirms.

type (
	InboundCase         = contract.InboundCase
	InboundResult       = contract.InboundResult
	InboundResultLetter = contract.InboundResultLetter
	// ListingLifecycle is a stored list entry as its record workflow starts from it (reconcile.go).
	ListingLifecycle = contract.ListingLifecycle
)

// Error types of the inbound activities.
const (
	ErrInboundPending = contract.ErrInboundPending
	ErrInboundUnknown = contract.ErrInboundUnknown
)

// InboundIdempotencyKey is the Idempotency-Key of a pushed case's result.
func InboundIdempotencyKey(kind string, caseID int64) string {
	return contract.InboundIdempotencyKey(kind, caseID)
}

// Result events sent back to a pushing channel (X-Xinyong-Event).
const (
	EventRepairResult    = "repair_result"
	EventObjectionResult = "objection_result"
)

// resultLetterKinds are the letters a result event links to (each verifiable at /verify/{code}).
var resultLetterKinds = map[string]bool{
	string(letters.KindNotAccepted): true, string(letters.KindRepairApproved): true, string(letters.KindRepairRefused): true,
	string(letters.KindFraudRecord): true, string(letters.KindObjectionResult): true,
}

// AwaitInboundResult answers the result event of a pushed case once the case has a result (a repair decided, not
// accepted or withdrawn by the applicant; an objection answered) and fails (retryably, as a poll) until then.
func (a *Activities) AwaitInboundResult(ctx context.Context, in InboundCase) (InboundResult, error) {
	push, err := a.DB.InboundPushOfCase(ctx, in.Kind, in.CaseID)
	if errors.Is(err, storage.ErrNotFound) {
		return InboundResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("%s %d was not pushed by a channel", in.Kind, in.CaseID), ErrInboundUnknown, nil)
	}
	if err != nil {
		return InboundResult{}, err
	}
	res := InboundResult{ChannelID: push.ChannelID, PushKey: push.PushKey, ExternalRef: push.ExternalRef,
		CaseKind: in.Kind, CaseID: in.CaseID, Letters: []InboundResultLetter{}}
	pending := func(status string) (InboundResult, error) {
		return InboundResult{}, temporal.NewApplicationErrorWithOptions(
			fmt.Sprintf("%s %d has no result yet (%s)", in.Kind, in.CaseID, status), ErrInboundPending, pollOptions)
	}
	switch in.Kind {
	case storage.InboundRepair:
		r, err := a.DB.GetRepair(ctx, in.CaseID)
		if errors.Is(err, storage.ErrNotFound) {
			return pending("not stored yet")
		}
		if err != nil {
			return InboundResult{}, err
		}
		res.Event = EventRepairResult
		res.Record.PenaltyID, res.Record.DecisionNo, res.Record.USCC = r.PenaltyID, r.DecisionNoOfPenalty, r.USCC
		switch r.Status {
		case domain.RepairApproved, domain.RepairClosed, domain.RepairRevoked:
			res.Outcome = string(domain.RepairApproved)
		case domain.RepairRefused, domain.RepairNotAccepted, domain.RepairCancelled:
			res.Outcome = string(r.Status)
		default:
			return pending(string(r.Status))
		}
		res.OutcomeLabel = domain.RepairStatus(res.Outcome).Label()
		res.DecisionNo, res.Reason, res.DecidedOn = r.DecisionNo, r.DecisionReason, r.DecidedOn
	case storage.InboundObjection:
		o, err := a.DB.GetObjection(ctx, in.CaseID)
		if errors.Is(err, storage.ErrNotFound) {
			return pending("not stored yet")
		}
		if err != nil {
			return InboundResult{}, err
		}
		if o.Outcome == "" || (o.Status != domain.ObjectionResolved && o.Status != domain.ObjectionClosed) {
			return pending(string(o.Status))
		}
		res.Event = EventObjectionResult
		res.Record.PenaltyID, res.Record.DecisionNo, res.Record.USCC = o.PenaltyID, o.DecisionNo, o.USCC
		res.Outcome, res.OutcomeLabel = string(o.Outcome), o.Outcome.Label()
		res.DecisionNo, res.Reason, res.DecidedOn = o.ResultNo, o.OutcomeReason, o.ResolvedOn
	default:
		return InboundResult{}, temporal.NewNonRetryableApplicationError("unknown case kind "+in.Kind, ErrInboundUnknown, nil)
	}
	ls, err := a.DB.LettersOf(ctx, in.Kind, fmt.Sprint(in.CaseID))
	if err != nil {
		return InboundResult{}, err
	}
	for _, l := range ls {
		if !resultLetterKinds[l.Kind] || l.SupersededBy.Valid {
			continue
		}
		res.Fraud = res.Fraud || l.Kind == string(letters.KindFraudRecord)
		res.Letters = append(res.Letters, InboundResultLetter{Kind: l.Kind, Title: l.Title, Number: l.Number,
			VerifyCode: l.VerifyCode, SHA256: l.SHA256,
			VerifyURL: strings.TrimRight(a.BaseURL, "/") + "/verify/" + l.VerifyCode})
	}
	return res, nil
}

// SendInboundResult posts a pushed case's result to the channel that pushed it, signed, with the case's
// idempotency key (the same bytes on every attempt), and records the channel's confirmation. It fails until the
// channel answers 2xx; the workflow's retry policy retries it.
func (a *Activities) SendInboundResult(ctx context.Context, in InboundResult) error {
	ch, err := a.DB.GetChannel(ctx, in.ChannelID)
	if err != nil {
		return err
	}
	ref, err := a.postSigned(ctx, ch.ID, ch.EndpointURL, ch.Secret, InboundIdempotencyKey(in.CaseKind, in.CaseID), in.Event, in)
	if err != nil {
		return err
	}
	return a.DB.MarkInboundResultSent(ctx, in.CaseKind, in.CaseID, in.Outcome, ref)
}
