package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"xinyong/domain"
	"xinyong/storage"
	"xinyong/workflows"
)

// publishRecordEverywhere confirms, as each channel's operator, every publication of a record not published yet,
// until the record is published on every channel.
func (s *stack) publishRecordEverywhere(recordID int64) {
	s.t.Helper()
	s.eventually(90*time.Second, fmt.Sprintf("record %d is published on every channel", recordID), func() bool {
		pubs, err := s.db.PublicationsOf(context.Background(), recordID)
		require.NoError(s.t, err)
		published := 0
		for _, pb := range pubs {
			if pb.Status == "published" {
				published++
				continue
			}
			if login, ok := storage.DemoOperatorLogins[pb.ChannelID]; ok {
				s.call("POST", fmt.Sprintf("/api/v1/penalties/%d/publications/%s/confirm", recordID, pb.ChannelID), s.token(login),
					map[string]any{"reference": "公示-" + pb.ChannelID}, nil)
			}
		}
		return len(pubs) == len(storage.DemoChannels) && published == len(pubs)
	})
}

// withdrawnEverywhere waits until a record's withdrawal order completed on every channel, confirming as operators.
func (s *stack) withdrawnEverywhere(recordID int64, cause string) {
	s.t.Helper()
	s.eventually(90*time.Second, fmt.Sprintf("record %d is withdrawn from every channel", recordID), func() bool {
		s.confirmWithdrawal(recordID)
		var p penaltyAnswer
		s.call("GET", fmt.Sprintf("/api/v1/penalties/%d", recordID), s.token("office"), nil, &p)
		if p.Status != storage.PenaltyWithdrawn || p.Withdrawal == nil || p.Withdrawal.Cause != cause {
			return false
		}
		for _, pub := range p.Publications {
			if pub.Status != "withdrawn" {
				return false
			}
		}
		return len(p.Publications) == len(storage.DemoChannels)
	})
}

// acceptedRepair registers a general fine decided on 2026-05-20, delivers it, applies for its repair and has the
// department accept it.
func (s *stack) acceptedRepair(no string, ent storage.Enterprise) (penaltyAnswer, repairAnswer) {
	s.t.Helper()
	firm, sthjj := s.token(ent.USCC), s.token("sthjj")
	p := s.registerGeneralFine(no, ent, "2026-05-20")
	require.Equal(s.t, 200, s.call("POST", fmt.Sprintf("/api/v1/penalties/%d/delivery", p.ID), sthjj,
		map[string]any{"method": "in_person", "delivered_on": "2026-05-22", "signed_by": "王堃"}, nil))
	var r repairAnswer
	require.Equal(s.t, 201, s.call("POST", "/api/v1/repairs", firm, map[string]any{"penalty_id": p.ID, "commitment_accepted": true,
		"statement": "罚款已缴清，设施已改造"}, &r))
	require.Equal(s.t, 200, s.call("POST", fmt.Sprintf("/api/v1/repairs/%d/accept", r.ID), sthjj, nil, &r))
	return p, r
}

// TestFraudRefusalBansPublishesAndEndsByItself: issue 14, acceptance 4. The department refuses a repair for
// forged materials: a new application is refused with the date (36 months), the fraud is published as a record of
// its own on every channel with its own letter, that record cannot be repaired, and its workflow withdraws it by
// itself once its period is over.
func TestFraudRefusalBansPublishesAndEndsByItself(t *testing.T) {
	s := newStack(t)
	a := storage.DemoEnterprises[1]
	firm, sthjj, office := s.token(a.USCC), s.token("sthjj"), s.token("office")
	p, r := s.acceptedRepair("镇环罚〔2026〕41号", a)

	var e repairErr
	// Fraud goes with a refusal, and a refusal needs its reasons: refused, nothing changes.
	require.Equal(t, 422, s.call("POST", fmt.Sprintf("/api/v1/repairs/%d/decide", r.ID), sthjj,
		map[string]any{"approved": true, "fraud": true, "reason": "x"}, &e))
	assert.Equal(t, "fraud_requires_refusal", e.Error.Code)
	require.Equal(t, 422, s.call("POST", fmt.Sprintf("/api/v1/repairs/%d/decide", r.ID), sthjj,
		map[string]any{"approved": false, "fraud": true, "reason": " "}, &e))
	assert.Equal(t, "reason_required", e.Error.Code)
	assert.Equal(t, storage.RepairVerifying, s.repair(r.ID, firm).Status)

	require.Equal(t, 200, s.call("POST", fmt.Sprintf("/api/v1/repairs/%d/decide", r.ID), sthjj,
		map[string]any{"approved": false, "fraud": true, "reason": "提交的罚款缴纳凭证系伪造"}, &r))
	assert.Equal(t, storage.RepairRefused, r.Status)
	until := domain.Today().AddMonths(36)
	require.NotNil(t, r.FraudBan)
	assert.Equal(t, until.String(), r.FraudBan.BannedUntil)

	// Its own letter, verifiable.
	fraudLetter := letterOf(r, "fraud_record")
	require.NotZero(t, fraudLetter, "the fraud record's letter is among the case's letters")
	text := s.letterText(fraudLetter, firm)
	for _, want := range []string{"弄虚作假失信记录公示告知书", a.Name, "镇环罚〔2026〕41号", "提交的罚款缴纳凭证系伪造", "不得申请提前修复",
		"期满后自动撤下", fmt.Sprintf("%d年%d月%d日", until.Y, until.M, until.D)} {
		assert.Contains(t, text, want)
	}

	// A new application for the record: 422 with the date.
	require.Equal(t, 422, s.call("POST", "/api/v1/repairs", firm, map[string]any{"penalty_id": p.ID, "commitment_accepted": true}, &e))
	assert.Equal(t, "not_yet_eligible", e.Error.Code)
	assert.Equal(t, "fraud_ban", e.Error.Details["rule"])
	assert.Equal(t, until.AddDays(1).String(), e.Error.Details["eligible_from"])
	assert.Contains(t, e.Error.Message, until.AddDays(1).String())

	// The fraud record: published on every channel, shown beside the enterprise's penalties.
	var recs []storage.Penalty
	recs, err := s.db.RecordsRestingOn(context.Background(), p.ID, storage.RecordFraud)
	require.NoError(t, err)
	require.Len(t, recs, 1)
	rec := recs[0]
	assert.Equal(t, until, rec.PublicationEnds)
	s.publishRecordEverywhere(rec.ID)
	var list struct {
		Items []struct {
			ID         int64  `json:"id"`
			RecordKind string `json:"record_kind"`
			RestsOn    *int64 `json:"rests_on"`
		} `json:"items"`
	}
	require.Equal(t, 200, s.call("GET", "/api/v1/penalties", firm, nil, &list))
	kinds := map[int64]string{}
	for _, it := range list.Items {
		kinds[it.ID] = it.RecordKind
	}
	assert.Equal(t, storage.RecordFraud, kinds[rec.ID])
	assert.Equal(t, storage.RecordPenalty, kinds[p.ID])
	// It cannot be repaired early.
	require.Equal(t, 422, s.call("POST", "/api/v1/repairs", firm, map[string]any{"penalty_id": rec.ID, "commitment_accepted": true}, &e))
	assert.Equal(t, "not_repairable", e.Error.Code)
	assert.Equal(t, "fraud_record", e.Error.Details["rule"])
	// The office sees it too.
	var pa penaltyAnswer
	require.Equal(t, 200, s.call("GET", fmt.Sprintf("/api/v1/penalties/%d", rec.ID), office, nil, &pa))
	assert.Equal(t, storage.PenaltyPublished, pa.Status)

	// The end of its period: the same workflow, given a period that is over, withdraws the record by itself from
	// every channel with cause expiry. (Temporal's dev server has no time skipping; the 36-month timer itself is
	// covered by the workflow test TestFraudRecordWithdrawnByItselfAfter36Months.)
	ended := domain.Today().AddDays(-1)
	_, err = s.db.Exec(`UPDATE penalties SET publication_ends = $2 WHERE id = $1`, rec.ID, ended)
	require.NoError(t, err)
	require.NoError(t, s.temporal.TerminateWorkflow(context.Background(), workflows.PenaltyWorkflowID(rec.ID), "", "e2e: period shortened"))
	_, err = s.temporal.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: workflows.PenaltyWorkflowID(rec.ID),
		TaskQueue: workflows.TaskQueue}, workflows.RecordWorkflowType, workflows.RecordParams{RecordID: rec.ID, Kind: storage.RecordFraud,
		PublishDue: domain.Today(), Until: ended, ExpiryDecision: "弄虚作假失信记录公示期满"})
	require.NoError(t, err)
	s.withdrawnEverywhere(rec.ID, "expiry")
	// The penalty it rests on stays as it was.
	require.Equal(t, 200, s.call("GET", fmt.Sprintf("/api/v1/penalties/%d", p.ID), office, nil, &pa))
	assert.NotEqual(t, storage.PenaltyWithdrawn, pa.Status)
}
