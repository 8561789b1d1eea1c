package domain

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// generalFine is a published general record under ndrc-2026, decided 2026-05-10 (eligible from 2026-08-11, the day after the 3-month period).
func generalFine(t *testing.T) RepairEligibilityFacts {
	t.Helper()
	rs := resolved(t, "ndrc-2026")
	in := PenaltyInput{Types: []PenaltyType{PenaltyFine}, FineFen: 20000_00, DecidedOn: d("2026-05-10")}
	pub, err := ComputePublication(rs, in)
	require.NoError(t, err)
	return RepairEligibilityFacts{
		Today: d("2026-09-01"), PenaltyID: 7, RecordStatus: "published", Published: pub.Published,
		PublicationEnds: pub.PublicationEnds, RepairEligibleFrom: pub.RepairEligibleFrom, Class: pub.Class,
		RecordRuleSet: rs, Penalty: in, ProcedureRuleSet: rs,
	}
}

func TestJudgeRepairEligibility(t *testing.T) {
	samr := resolved(t, "samr-2025")
	jszj := resolved(t, "js-zj-2026")
	for _, tc := range []struct {
		name   string
		change func(f *RepairEligibilityFacts)
		// code is the refusal's ("" = eligible); conflict its kind.
		code     string
		conflict bool
		from     string
		failing  []string // rules that fail
		missing  int
		details  map[string]any
	}{
		{name: "eligible general record", change: func(*RepairEligibilityFacts) {}, from: "2026-08-11"},
		{name: "eligible on the first day", change: func(f *RepairEligibilityFacts) { f.Today = d("2026-08-11") }, from: "2026-08-11"},
		{name: "the day before the first day", change: func(f *RepairEligibilityFacts) { f.Today = d("2026-08-10") },
			code: "not_yet_eligible", from: "2026-08-11", failing: []string{"min_publish_period"}, missing: 1,
			details: map[string]any{"eligible_from": "2026-08-11", "rule": "min_publish_period", "rule_set": "ndrc-2026"}},
		{name: "withdrawn record", change: func(f *RepairEligibilityFacts) { f.RecordWithdrawn, f.RecordStatus = true, "withdrawn" },
			code: "record_withdrawn", conflict: true, from: "2026-08-11", failing: []string{"record_public"},
			details: map[string]any{"rule": "record_public", "status": "withdrawn"}},
		{name: "unpublished record", change: func(f *RepairEligibilityFacts) { f.Published = false },
			code: "not_repairable", from: "2026-08-11", failing: []string{"record_public"}},
		{name: "another open case", change: func(f *RepairEligibilityFacts) { f.OpenRepairID = 12 },
			code: "repair_case_open", conflict: true, from: "2026-08-11", failing: []string{"no_open_case"},
			details: map[string]any{"repair_id": int64(12)}},
		{name: "fraud ban running", change: func(f *RepairEligibilityFacts) {
			f.FraudBan = &FraudBanFact{Reason: "伪造材料", RevokedOn: d("2026-06-01"), BannedUntil: d("2029-06-01")}
		}, code: "not_yet_eligible", from: "2029-06-02", failing: []string{"fraud_ban"},
			details: map[string]any{"eligible_from": "2029-06-02", "rule": "fraud_ban", "rule_set": "ndrc-2026"}},
		{name: "fraud ban ends today", change: func(f *RepairEligibilityFacts) {
			f.FraudBan = &FraudBanFact{Reason: "伪造材料", RevokedOn: d("2023-09-01"), BannedUntil: d("2026-09-01")}
		}, code: "not_yet_eligible", from: "2026-09-02", failing: []string{"fraud_ban"}},
		{name: "samr: a newer penalty of the same type", change: func(f *RepairEligibilityFacts) {
			f.RecordRuleSet, f.ProcedureRuleSet = samr, samr
			f.Penalty.FineFen = 60000_00
			f.NewerSamePenalty = &NewerPenaltyFact{ID: 9, DecisionNo: "镇市监罚〔2026〕9号", DecidedOn: d("2026-07-01")}
		}, code: "new_same_penalty", from: "2026-08-11", failing: []string{"no_new_same_penalty"},
			details: map[string]any{"rule": "no_new_same_penalty", "penalty_id": int64(9)}},
		{name: "samr: a low fine ends by itself", change: func(f *RepairEligibilityFacts) {
			f.RecordRuleSet, f.ProcedureRuleSet = samr, samr
			f.Penalty.FineFen, f.Penalty.Discretion = 20000_00, DiscretionLighter // Order 107 art. 7 ¶3
			f.PublicationEnds = d("2026-08-10")
		}, code: "not_repairable", from: "2026-08-11", failing: []string{"repairable"},
			details: map[string]any{"rule": "auto_ends", "publication_ends": d("2026-08-10")}},
		{name: "samr: licence revocation is not repairable early", change: func(f *RepairEligibilityFacts) {
			f.RecordRuleSet, f.ProcedureRuleSet = samr, samr
			f.Penalty.Types, f.Penalty.FineFen = []PenaltyType{PenaltyLicenseRevocation}, 0
		}, code: "not_repairable", from: "2026-08-11", failing: []string{"repairable"}},
		{name: "the first failing rule refuses", change: func(f *RepairEligibilityFacts) {
			f.RecordWithdrawn, f.OpenRepairID, f.Today = true, 3, d("2026-06-01")
		}, code: "record_withdrawn", conflict: true, from: "2026-08-11",
			failing: []string{"record_public", "no_open_case", "min_publish_period"}, missing: 1},
		{name: "local overlay: serious record waits for training", change: func(f *RepairEligibilityFacts) {
			f.ProcedureRuleSet, f.Class = jszj, ClassSerious
		}, from: "2026-08-11", missing: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := generalFine(t)
			tc.change(&f)
			v, err := JudgeRepairEligibility(f)
			require.NoError(t, err)
			assert.Equal(t, tc.code == "", v.Eligible)
			assert.Equal(t, tc.from, v.EligibleFrom.String())
			if tc.code == "" {
				assert.Nil(t, v.Refusal)
			} else {
				require.NotNil(t, v.Refusal)
				assert.Equal(t, tc.code, v.Refusal.Code)
				assert.Equal(t, tc.conflict, v.Refusal.Conflict)
				assert.NotEmpty(t, v.Refusal.Message)
				if tc.details != nil {
					assert.Equal(t, tc.details, v.Refusal.Details)
				}
			}
			var failing []string
			for _, c := range v.Checks {
				assert.NotEmpty(t, c.Message, c.Rule)
				if !c.OK {
					failing = append(failing, c.Rule)
				}
			}
			assert.Equal(t, tc.failing, failing)
			assert.Len(t, v.Missing, tc.missing, v.Missing)
			assert.Equal(t, f.ProcedureRuleSet.ID, v.RuleSet)
		})
	}
}

func TestJudgeRepairEligibilityRequirements(t *testing.T) {
	f := generalFine(t)
	f.ProcedureRuleSet, f.Class = resolved(t, "js-zj-2026"), ClassSerious
	v, err := JudgeRepairEligibility(f)
	require.NoError(t, err)
	assert.True(t, v.Training.Required)
	assert.False(t, v.Training.Satisfied)
	assert.Equal(t, []string{"信用修复培训合格证明"}, v.Missing)

	f.TrainingCertificateID = 41
	v, err = JudgeRepairEligibility(f)
	require.NoError(t, err)
	assert.True(t, v.Training.Satisfied)
	assert.Equal(t, int64(41), v.Training.LetterID)
	assert.Empty(t, v.Missing)
	assert.True(t, v.CreditReport.Satisfied)
	assert.False(t, v.CreditReport.Required)
}

func TestJudgeRepairEligibilityBadFacts(t *testing.T) {
	f := generalFine(t)
	f.Penalty.Types = nil
	_, err := JudgeRepairEligibility(f)
	assert.Error(t, err)
}

func TestProcedureRuleSet(t *testing.T) {
	sets := DefaultRuleSets()
	for _, tc := range []struct {
		jurisdiction, sector, on, want string
	}{
		{"321100", "", "2026-05-01", "ndrc-2026"}, // js-zj-2026 ships inactive
		{"321100", "market_supervision", "2026-05-01", "samr-2025"},
		{"110000", "", "2026-05-01", "ndrc-2026"},
		{"110000", "", "2025-05-01", "ndrc-2023"},
	} {
		rs, err := ProcedureRuleSet(sets, tc.jurisdiction, tc.sector, d(tc.on))
		require.NoError(t, err, tc)
		assert.Equal(t, tc.want, rs.ID, tc)
	}
	for i := range sets {
		if sets[i].ID == "js-zj-2026" {
			sets[i].Inactive = false // an admin activated it
		}
	}
	rs, err := ProcedureRuleSet(sets, "321100", "", d("2026-05-01"))
	require.NoError(t, err)
	assert.Equal(t, "js-zj-2026", rs.ID)
}
