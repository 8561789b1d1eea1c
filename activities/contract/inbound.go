package contract

import (
	"context"
	"strconv"

	"xinyong/domain"
)

// Results of cases pushed in by a channel (inbound pushes), sent back to that channel.

// InboundCase names a case created by an inbound push: its kind ("repair" or "objection") and id.
type InboundCase struct {
	Kind   string
	CaseID int64
}

// InboundResultLetter is a letter of the result, verifiable by anyone at VerifyURL.
type InboundResultLetter struct {
	Kind       string `json:"kind"`
	Title      string `json:"title"`
	Number     string `json:"number"`
	VerifyCode string `json:"verify_code"`
	VerifyURL  string `json:"verify_url"`
	SHA256     string `json:"sha256"`
}

// InboundResult is the body of the result event sent back to the pushing channel (X-Xinyong-Event: Event). It is
// built once by AwaitInboundResult and carried by the workflow, so that every attempt sends the same bytes.
type InboundResult struct {
	Event       string `json:"event"`
	ChannelID   string `json:"channel_id"`
	PushKey     string `json:"push_key"`
	ExternalRef string `json:"external_ref,omitempty"`
	CaseKind    string `json:"case_kind"`
	CaseID      int64  `json:"case_id"`
	Record      struct {
		PenaltyID  int64  `json:"penalty_id"`
		DecisionNo string `json:"decision_no"`
		USCC       string `json:"uscc"`
	} `json:"record"`
	// Outcome: a repair's approved, refused, not_accepted or cancelled; an objection's corrected, withdrawn or upheld.
	Outcome      string                `json:"outcome"`
	OutcomeLabel string                `json:"outcome_label"`
	DecisionNo   string                `json:"decision_no,omitempty"`
	Reason       string                `json:"reason,omitempty"`
	DecidedOn    domain.Date           `json:"decided_on"`
	Fraud        bool                  `json:"fraud,omitempty"`
	Letters      []InboundResultLetter `json:"letters"`
}

// ErrInboundPending is the error type AwaitInboundResult fails with while the case has no result yet; the
// activity's retry policy is the poll.
const ErrInboundPending = "inbound_result_pending"

// ErrInboundUnknown is the non-retryable error type of AwaitInboundResult for a case no push created.
const ErrInboundUnknown = "inbound_unknown"

// InboundIdempotencyKey is the Idempotency-Key of a case's result sent back to its channel: one per case, the
// same on every attempt.
func InboundIdempotencyKey(kind string, caseID int64) string {
	return "inbound-result-" + kind + "-" + strconv.FormatInt(caseID, 10)
}

func (a *Activities) AwaitInboundResult(ctx context.Context, in InboundCase) (InboundResult, error) {
	return a.impl.AwaitInboundResult(ctx, in)
}

func (a *Activities) SendInboundResult(ctx context.Context, in InboundResult) error {
	return a.impl.SendInboundResult(ctx, in)
}
