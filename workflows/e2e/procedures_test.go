package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"xinyong/domain"
	"xinyong/storage"
	"xinyong/workflows"
)

// verifies opens /verify/{code} as anyone and checks the page shows the letter.
func (s *stack) verifies(code, want string) {
	s.t.Helper()
	resp, err := http.Get(s.base + "/verify/" + code)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(s.t, err)
	require.Equal(s.t, 200, resp.StatusCode)
	assert.Contains(s.t, string(raw), want)
}

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
		if p.Status != string(domain.PenaltyWithdrawn) || p.Withdrawal == nil || p.Withdrawal.Cause != cause {
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
	assert.EqualValues(t, domain.RepairVerifying, s.repair(r.ID, firm).Status)

	require.Equal(t, 200, s.call("POST", fmt.Sprintf("/api/v1/repairs/%d/decide", r.ID), sthjj,
		map[string]any{"approved": false, "fraud": true, "reason": "提交的罚款缴纳凭证系伪造"}, &r))
	assert.EqualValues(t, domain.RepairRefused, r.Status)
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
	assert.EqualValues(t, domain.PenaltyPublished, pa.Status)

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
	assert.NotEqualValues(t, domain.PenaltyWithdrawn, pa.Status)
}

// listingAnswer is a list entry as the API answers it.
type listingAnswer struct {
	ID          int64   `json:"id"`
	Kind        string  `json:"kind"`
	Number      string  `json:"number"`
	Status      string  `json:"status"`
	ListedOn    string  `json:"listed_on"`
	Cause       string  `json:"cause"`
	RemovalFrom string  `json:"removal_from"`
	EndsOn      *string `json:"ends_on"`
	PenaltyID   *int64  `json:"penalty_id"`
	Letters     []struct {
		ID         int64  `json:"id"`
		Kind       string `json:"kind"`
		VerifyCode string `json:"verify_code"`
	} `json:"letters"`
	Publications []struct {
		ChannelID string `json:"channel_id"`
		Status    string `json:"status"`
	} `json:"publications"`
}

// approveRemoval applies for a listing's removal, has the department accept and approve it, and answers the case.
func (s *stack) approveRemoval(listingID int64, ent storage.Enterprise, dept string) repairAnswer {
	s.t.Helper()
	firm, officer := s.token(ent.USCC), s.token(dept)
	var r repairAnswer
	require.Equal(s.t, 201, s.call("POST", "/api/v1/repairs", firm, map[string]any{"listing_id": listingID, "commitment_accepted": true,
		"statement": "已纠正列入事由"}, &r), "%+v", r)
	require.Equal(s.t, 200, s.call("POST", fmt.Sprintf("/api/v1/repairs/%d/accept", r.ID), officer, nil, &r))
	return r
}

// TestAbnormalListRemovalWithinTwoWorkingDays: issue 14, acceptance 1. An abnormal-list entry for an unfiled annual
// report listed four months ago is still shown everywhere (it does not end by itself); the enterprise applies once
// it has filed, the bureau must decide within 2 working days of acceptance, and the approved removal withdraws the
// entry from every channel.
func TestAbnormalListRemovalWithinTwoWorkingDays(t *testing.T) {
	s := newStack(t)
	ent := storage.DemoEnterprises[2]
	scjgj, office := s.token("scjgj"), s.token("office")
	listed := domain.Today().AddMonths(-4)

	var e repairErr
	require.Equal(t, 422, s.call("POST", "/api/v1/listings", scjgj, map[string]any{"kind": "abnormal", "number": "镇市监异〔2026〕1号",
		"uscc": ent.USCC, "listed_on": listed.String(), "cause": "lost_keys"}, &e))
	assert.Equal(t, "invalid_cause", e.Error.Code)
	require.Equal(t, 403, s.call("POST", "/api/v1/listings", s.token(ent.USCC), map[string]any{"kind": "abnormal"}, &e))

	var l listingAnswer
	require.Equal(t, 201, s.call("POST", "/api/v1/listings", scjgj, map[string]any{"kind": "abnormal", "number": "镇市监异〔2026〕1号",
		"uscc": ent.USCC, "enterprise_name": ent.Name, "listed_on": listed.String(), "cause": "annual_report",
		"facts": "未按照规定期限公示2025年度报告"}, &l), "%+v", e)
	assert.Equal(t, "abnormal", l.Kind)
	assert.Nil(t, l.EndsOn, "no end by itself")
	assert.Equal(t, listed.String(), l.RemovalFrom, "no minimum period")
	require.Equal(t, 409, s.call("POST", "/api/v1/listings", scjgj, map[string]any{"kind": "abnormal", "number": "镇市监异〔2026〕1号",
		"uscc": ent.USCC, "listed_on": listed.String(), "cause": "annual_report"}, &e))
	s.publishRecordEverywhere(l.ID)

	// Four months after listing, nobody applied: still shown on every channel.
	require.Equal(t, 200, s.call("GET", fmt.Sprintf("/api/v1/listings/%d", l.ID), s.token(ent.USCC), nil, &l))
	assert.EqualValues(t, domain.PenaltyPublished, l.Status)
	require.Len(t, l.Publications, len(storage.DemoChannels))
	for _, p := range l.Publications {
		assert.Equal(t, "published", p.Status, p.ChannelID)
	}
	var list struct {
		Items []listingAnswer `json:"items"`
	}
	require.Equal(t, 200, s.call("GET", "/api/v1/listings?kind=abnormal", s.token(ent.USCC), nil, &list))
	require.Len(t, list.Items, 1)
	require.Equal(t, 200, s.call("GET", "/api/v1/listings", s.token("sthjj"), nil, &list))
	assert.Empty(t, list.Items, "another department does not see it")
	// A penalty id given as listing_id is not a listing.
	p := s.registerGeneralFine("镇环罚〔2026〕51号", ent, "2026-05-20")
	require.Equal(t, 404, s.call("POST", "/api/v1/repairs", s.token(ent.USCC), map[string]any{"listing_id": p.ID, "commitment_accepted": true}, &e))

	r := s.approveRemoval(l.ID, ent, "scjgj")
	cal, err := s.db.LoadCalendar(context.Background())
	require.NoError(t, err)
	due, _ := cal.AddWorkdays(domain.Today(), 2)
	assert.Equal(t, due.String(), r.Deadlines.Decision, "2 working days from acceptance")
	require.Equal(t, 200, s.call("POST", fmt.Sprintf("/api/v1/repairs/%d/decide", r.ID), scjgj,
		map[string]any{"approved": true, "reason": "已补报2025年度报告并公示"}, &r))
	assert.True(t, *r.Decision.InTime)
	approval := s.letterText(letterOf(r, "repair_approved"), office)
	assert.Contains(t, approval, "经营异常名录信息")
	s.withdrawnEverywhere(l.ID, "repair")
	s.eventually(60*time.Second, "the removal case closes", func() bool {
		return s.repair(r.ID, office).Status == string(domain.RepairClosed)
	})
	require.Equal(t, 200, s.call("GET", fmt.Sprintf("/api/v1/listings/%d", l.ID), office, nil, &l))
	assert.EqualValues(t, domain.PenaltyWithdrawn, l.Status)
}

// TestSeriousListRemovalAfterAYearEndsThePenaltyToo: issue 14, acceptance 2. A removal asked 11 months after
// listing is refused with the date it becomes possible; a listing of 13 months, asked for, is removed together with
// the penalty it rests on, from every channel. The listing's own 信用修复告知书 verifies.
func TestSeriousListRemovalAfterAYearEndsThePenaltyToo(t *testing.T) {
	s := newStack(t)
	ent := storage.DemoEnterprises[3]
	firm, sthjj, office := s.token(ent.USCC), s.token("sthjj"), s.token("office")

	recent := domain.Today().AddMonths(-11)
	var young listingAnswer
	require.Equal(t, 201, s.call("POST", "/api/v1/listings", sthjj, map[string]any{"kind": "serious", "number": "镇环严列〔2026〕1号",
		"uscc": ent.USCC, "listed_on": recent.String(), "facts": "拒不履行生态环境行政处罚决定"}, &young))
	assert.Equal(t, recent.AddMonths(12).String(), young.RemovalFrom)
	require.NotNil(t, young.EndsOn)
	assert.Equal(t, recent.AddMonths(36).String(), *young.EndsOn)
	var e repairErr
	require.Equal(t, 422, s.call("POST", "/api/v1/repairs", firm, map[string]any{"listing_id": young.ID, "commitment_accepted": true}, &e))
	assert.Equal(t, "not_yet_eligible", e.Error.Code)
	assert.Equal(t, recent.AddMonths(12).String(), e.Error.Details["eligible_from"])

	// The listing rests on a serious penalty, published on every channel.
	decided := domain.Today().AddMonths(-14)
	var p penaltyAnswer
	require.Equal(t, 201, s.call("POST", "/api/v1/penalties", sthjj, map[string]any{
		"decision_no": "镇环罚〔2025〕77号", "uscc": ent.USCC, "enterprise_name": ent.Name, "decided_on": decided.String(),
		"penalty_types": []string{"fine"}, "fine_amount_yuan": 900000, "class": "serious", "facts": "超标排放",
		"legal_basis": "《大气污染防治法》第九十九条"}, &p))
	require.Equal(t, 200, s.call("POST", fmt.Sprintf("/api/v1/penalties/%d/delivery", p.ID), sthjj,
		map[string]any{"method": "in_person", "delivered_on": decided.AddDays(2).String(), "signed_by": "王堃"}, nil))
	s.publishRecordEverywhere(p.ID)

	listed := domain.Today().AddMonths(-13)
	var l listingAnswer
	require.Equal(t, 201, s.call("POST", "/api/v1/listings", sthjj, map[string]any{"kind": "serious", "number": "镇环严列〔2025〕9号",
		"uscc": ent.USCC, "listed_on": listed.String(), "penalty_id": p.ID, "facts": "严重违法排污"}, &l))
	require.NotNil(t, l.PenaltyID)
	var notice int64
	var code string
	for _, lt := range l.Letters {
		if lt.Kind == "serious_list_notice" {
			notice, code = lt.ID, lt.VerifyCode
		}
	}
	require.NotZero(t, notice, "the listing's 信用修复告知书 is issued with it")
	text := s.letterText(notice, firm)
	for _, want := range []string{"信用修复告知书", "镇环严列〔2025〕9号", "镇环罚〔2025〕77号", "满一年", "同时停止公示"} {
		assert.Contains(t, text, want)
	}
	s.verifies(code, "镇环严列〔2025〕9号")
	s.publishRecordEverywhere(l.ID)

	r := s.approveRemoval(l.ID, ent, "sthjj")
	require.Equal(t, 200, s.call("POST", fmt.Sprintf("/api/v1/repairs/%d/decide", r.ID), sthjj,
		map[string]any{"approved": true, "reason": "列入满一年，此间未再受到较重行政处罚"}, &r))
	s.withdrawnEverywhere(l.ID, "repair")
	s.withdrawnEverywhere(p.ID, "repair")
	s.eventually(60*time.Second, "the removal case closes", func() bool {
		return s.repair(r.ID, office).Status == string(domain.RepairClosed)
	})
}

// TestBankruptcyShieldHidesThenRestores: issue 14, acceptance 3. With the court's ruling the enterprise applies; the
// department shields its records within the rule set's deadline: they come down from every channel (cause
// bankruptcy_shield) with a letter that says the shield is temporary; the court terminates the plan and the
// department restores them: they are published again on every channel, with a letter. Both letters verify.
func TestBankruptcyShieldHidesThenRestores(t *testing.T) {
	s := newStack(t)
	ent := storage.DemoEnterprises[4]
	firm, sthjj, office := s.token(ent.USCC), s.token("sthjj"), s.token("office")
	p := s.registerGeneralFine("镇环罚〔2026〕61号", ent, "2026-05-20")
	require.Equal(t, 200, s.call("POST", fmt.Sprintf("/api/v1/penalties/%d/delivery", p.ID), sthjj,
		map[string]any{"method": "in_person", "delivered_on": "2026-05-22", "signed_by": "王堃"}, nil))
	s.publishRecordEverywhere(p.ID)

	code, up := s.uploadFile(firm, "重整计划裁定书.pdf", e2ePDF)
	require.Equal(t, 201, code, "%v", up)
	var e repairErr
	require.Equal(t, 422, s.call("POST", "/api/v1/bankruptcy-shields", firm, map[string]any{"department_id": "sthjj",
		"procedure": "reorganization", "ruling_no": "（2026）苏11破3号之一"}, &e))
	assert.Equal(t, "ruling_required", e.Error.Code)
	type shieldAnswer struct {
		ID          int64   `json:"id"`
		Status      string  `json:"status"`
		DecisionDue *string `json:"decision_due"`
		RecordIDs   []int64 `json:"record_ids"`
		Letters     []struct {
			Kind       string `json:"kind"`
			ID         int64  `json:"id"`
			VerifyCode string `json:"verify_code"`
		} `json:"letters"`
	}
	var sh shieldAnswer
	require.Equal(t, 201, s.call("POST", "/api/v1/bankruptcy-shields", firm, map[string]any{"department_id": "sthjj",
		"procedure": "reorganization", "ruling_no": "（2026）苏11破3号之一", "ruling_attachment_id": up["id"],
		"applicant_role": "administrator", "administrator_name": "江苏镇江律师事务所"}, &sh))
	assert.Equal(t, storage.ShieldPending, sh.Status)
	cal, err := s.db.LoadCalendar(context.Background())
	require.NoError(t, err)
	due, _ := cal.AddWorkdays(domain.Today(), 10)
	require.NotNil(t, sh.DecisionDue)
	assert.Equal(t, due.String(), *sh.DecisionDue, "ndrc-2026: 10 working days")
	require.Equal(t, 404, s.call("POST", fmt.Sprintf("/api/v1/bankruptcy-shields/%d/decide", sh.ID), s.token("yjglj"),
		map[string]any{"approved": true}, &e))
	require.Equal(t, 409, s.call("POST", fmt.Sprintf("/api/v1/bankruptcy-shields/%d/restore", sh.ID), sthjj,
		map[string]any{"ruling_no": "x"}, &e))

	require.Equal(t, 200, s.call("POST", fmt.Sprintf("/api/v1/bankruptcy-shields/%d/decide", sh.ID), sthjj,
		map[string]any{"approved": true, "reason": "人民法院已裁定批准重整计划"}, &sh))
	assert.Equal(t, storage.ShieldShielded, sh.Status)
	assert.Equal(t, []int64{p.ID}, sh.RecordIDs)
	require.Len(t, sh.Letters, 1)
	text := s.letterText(sh.Letters[0].ID, firm)
	for _, want := range []string{"暂时屏蔽失信信息决定书", "暂时屏蔽", "并非信用修复", "（2026）苏11破3号之一", "镇环罚〔2026〕61号"} {
		assert.Contains(t, text, want)
	}
	s.verifies(sh.Letters[0].VerifyCode, "暂时屏蔽失信信息决定书")

	// Off every channel, for its own cause.
	var order int64
	require.NoError(t, s.eventuallyErr(30*time.Second, func() error {
		return s.db.Get(&order, `SELECT id FROM withdrawals WHERE penalty_id = $1 AND cause = 'bankruptcy_shield'`, p.ID)
	}))
	s.eventually(90*time.Second, "the record is off every channel", func() bool {
		s.confirmManualChannels(order)
		pubs, err := s.db.PublicationsOf(context.Background(), p.ID)
		require.NoError(t, err)
		for _, pb := range pubs {
			if pb.Status != "withdrawn" {
				return false
			}
		}
		return len(pubs) == len(storage.DemoChannels)
	})

	// The court terminates the plan: restored on every channel, with a letter.
	require.Equal(t, 200, s.call("POST", fmt.Sprintf("/api/v1/bankruptcy-shields/%d/restore", sh.ID), sthjj,
		map[string]any{"ruling_no": "（2026）苏11破3号之五", "reason": "重整计划执行不能"}, &sh))
	assert.Equal(t, storage.ShieldRestored, sh.Status)
	require.Len(t, sh.Letters, 2)
	restored := sh.Letters[1]
	assert.Equal(t, "bankruptcy_restored", restored.Kind)
	text = s.letterText(restored.ID, office)
	for _, want := range []string{"恢复公示失信信息决定书", "（2026）苏11破3号之五", "镇环罚〔2026〕61号"} {
		assert.Contains(t, text, want)
	}
	s.verifies(restored.VerifyCode, "恢复公示失信信息决定书")
	s.publishRecordEverywhere(p.ID)
	var republished int
	require.NoError(t, s.db.Get(&republished, `SELECT count(*) FROM publications WHERE penalty_id = $1 AND republished_at IS NOT NULL`, p.ID))
	assert.Equal(t, len(storage.DemoChannels), republished)
}

// eventuallyErr polls f until it succeeds or the timeout passes, and answers its last error.
func (s *stack) eventuallyErr(timeout time.Duration, f func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}
