package domain

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func resolved(t *testing.T, id string) RuleSet {
	t.Helper()
	rs, err := ResolveRuleSet(DefaultRuleSets(), id)
	require.NoError(t, err)
	return rs
}

func TestComputePublication(t *testing.T) {
	type want struct {
		class       Class
		published   bool
		eligible    string
		ends        string
		auto        bool
		early       bool
		training    bool
		noNewSame   bool
		reasonParts []string
	}
	for _, tc := range []struct {
		name string
		rs   string
		in   PenaltyInput
		want want
	}{
		{"summary procedure fine", "ndrc-2026",
			PenaltyInput{Types: []PenaltyType{PenaltyFine}, FineFen: 200_00, Summary: true, DecidedOn: d("2026-05-10")},
			want{ClassMinor, false, "2026-05-10", "2026-08-10", false, true, false, false, []string{"简易程序", "原则上不公示"}}},
		{"warning by ordinary procedure", "ndrc-2026",
			PenaltyInput{Types: []PenaltyType{PenaltyWarning}, DecidedOn: d("2026-05-10")},
			want{ClassMinor, false, "2026-05-10", "2026-08-10", false, true, false, false, []string{"警告，属轻微失信"}}},
		{"criticism and abnormal list", "ndrc-2026",
			PenaltyInput{Types: []PenaltyType{PenaltyCriticism, PenaltyAbnormalList}, DecidedOn: d("2026-05-10")},
			want{ClassMinor, false, "2026-05-10", "2026-08-10", false, true, false, false, []string{"通报批评", "经营异常名录"}}},
		{"fine at the minor limit", "ndrc-2026",
			PenaltyInput{Types: []PenaltyType{PenaltyFine}, FineFen: 5000_00, DecidedOn: d("2026-05-10")},
			want{ClassMinor, false, "2026-05-10", "2026-08-10", false, true, false, false, []string{"罚款5000元，不超过5000元"}}},
		{"fine a fen above the minor limit", "ndrc-2026",
			PenaltyInput{Types: []PenaltyType{PenaltyFine}, FineFen: 5000_01, DecidedOn: d("2026-05-10")},
			want{ClassGeneral, true, "2026-08-10", "2027-05-10", false, true, false, false, []string{"罚款5000.01元，属一般失信"}}},
		{"fine just below serious", "ndrc-2026",
			PenaltyInput{Types: []PenaltyType{PenaltyFine}, FineFen: 999_999_99, DecidedOn: d("2026-05-10")},
			want{ClassGeneral, true, "2026-08-10", "2027-05-10", false, true, false, false, nil}},
		{"huge fine", "ndrc-2026",
			PenaltyInput{Types: []PenaltyType{PenaltyFine}, FineFen: 1_000_000_00, DecidedOn: d("2026-05-10")},
			want{ClassSerious, true, "2027-05-10", "2029-05-10", false, true, false, false, []string{"达到1000000元以上，属严重失信"}}},
		{"confiscation and fine: month end clamps", "ndrc-2026",
			PenaltyInput{Types: []PenaltyType{PenaltyConfiscation, PenaltyFine}, FineFen: 12345_50, DecidedOn: d("2026-11-30")},
			want{ClassGeneral, true, "2027-02-28", "2027-11-30", false, true, false, false, []string{"罚款12345.5元", "从重认定为一般失信"}}},
		{"licence revocation", "ndrc-2026",
			PenaltyInput{Types: []PenaltyType{PenaltyLicenseRevocation}, DecidedOn: d("2026-08-31")},
			want{ClassSerious, true, "2027-08-31", "2029-08-31", false, true, false, false, []string{"吊销许可证件，属严重失信"}}},
		{"longest wins: fine with a 6-month suspension", "ndrc-2026",
			PenaltyInput{Types: []PenaltyType{PenaltyFine, PenaltyLicenseSuspension}, FineFen: 1000_00, DurationMonths: 6, DecidedOn: d("2026-06-15")},
			want{ClassSerious, true, "2027-06-15", "2029-06-15", false, true, false, false, []string{"从重认定为严重失信"}}},
		{"own duration beyond the maximum", "ndrc-2026",
			PenaltyInput{Types: []PenaltyType{PenaltyOther}, DurationMonths: 18, DecidedOn: d("2026-06-15")},
			want{ClassGeneral, true, "2027-12-15", "2027-12-15", false, true, false, false, []string{"处罚期限18个月（至2027-12-15）"}}},
		{"own duration beyond the minimum only", "ndrc-2026",
			PenaltyInput{Types: []PenaltyType{PenaltyConfiscation}, DurationMonths: 6, DecidedOn: d("2026-06-15")},
			want{ClassGeneral, true, "2026-12-15", "2027-06-15", false, true, false, false, []string{"届满前不得撤下公示或修复"}}},
		{"department classifies higher", "ndrc-2026",
			PenaltyInput{Types: []PenaltyType{PenaltyWarning}, Class: ClassGeneral, DecidedOn: d("2026-05-10")},
			want{ClassGeneral, true, "2026-08-10", "2027-05-10", false, true, false, false, []string{"认定部门认定为一般失信（按处罚种类推定为轻微失信）"}}},
		{"department confirms", "ndrc-2026",
			PenaltyInput{Types: []PenaltyType{PenaltySeriousList}, Class: ClassSerious, DecidedOn: d("2026-05-10")},
			want{ClassSerious, true, "2027-05-10", "2029-05-10", false, true, false, false, []string{"认定部门认定为严重失信"}}},
		{"predecessor set", "ndrc-2023",
			PenaltyInput{Types: []PenaltyType{PenaltyClosure}, DecidedOn: d("2024-02-29")},
			want{ClassSerious, true, "2025-02-28", "2027-02-28", false, true, false, false, nil}},

		{"samr: warning only is not published", "samr-2025",
			PenaltyInput{Types: []PenaltyType{PenaltyWarning}, DecidedOn: d("2026-01-10"), Sector: "market_supervision"},
			want{ClassMinor, false, "2026-01-10", "2026-01-10", false, true, false, true, []string{"仅受到警告处罚，不予公示"}}},
		{"samr: low fine ends by itself", "samr-2025",
			PenaltyInput{Types: []PenaltyType{PenaltyFine}, FineFen: 30000_00, DecidedOn: d("2026-01-31")},
			want{ClassMinor, true, "2026-01-31", "2026-04-30", true, true, false, true, []string{"公示满3个月自动停止公示"}}},
		{"samr: criticism and warning end by themselves", "samr-2025",
			PenaltyInput{Types: []PenaltyType{PenaltyCriticism, PenaltyWarning}, DecidedOn: d("2026-01-10")},
			want{ClassMinor, true, "2026-01-10", "2026-04-10", true, true, false, true, nil}},
		{"samr: fine at the low-fine limit", "samr-2025",
			PenaltyInput{Types: []PenaltyType{PenaltyFine, PenaltyWarning}, FineFen: 50000_00, DecidedOn: d("2026-01-10")},
			want{ClassMinor, true, "2026-01-10", "2026-04-10", true, true, false, true, nil}},
		{"samr: fine above the low-fine limit is general", "samr-2025",
			PenaltyInput{Types: []PenaltyType{PenaltyFine}, FineFen: 60000_00, DecidedOn: d("2026-01-10")},
			want{ClassGeneral, true, "2026-04-10", "2027-01-10", false, true, false, true, nil}},
		{"samr: low fine classified general by the department does not end by itself", "samr-2025",
			PenaltyInput{Types: []PenaltyType{PenaltyFine}, FineFen: 30000_00, Class: ClassGeneral, DecidedOn: d("2026-01-10")},
			want{ClassGeneral, true, "2026-04-10", "2027-01-10", false, true, false, true, nil}},
		{"samr: licence revocation cannot be repaired early", "samr-2025",
			PenaltyInput{Types: []PenaltyType{PenaltyLicenseRevocation, PenaltyFine}, FineFen: 200000_00, DecidedOn: d("2026-03-01")},
			want{ClassSerious, true, "2029-03-01", "2029-03-01", false, false, false, true, []string{"不得提前修复"}}},
		{"samr: closure is serious but repairable after a year", "samr-2025",
			PenaltyInput{Types: []PenaltyType{PenaltyClosure}, DecidedOn: d("2026-03-01")},
			want{ClassSerious, true, "2027-03-01", "2029-03-01", false, true, false, true, nil}},

		{"Zhenjiang: serious needs training", "js-zj-2026",
			PenaltyInput{Types: []PenaltyType{PenaltyPracticeBan}, DecidedOn: d("2026-04-01")},
			want{ClassSerious, true, "2027-04-01", "2029-04-01", false, true, true, false, nil}},
		{"Zhenjiang: general does not", "js-zj-2026",
			PenaltyInput{Types: []PenaltyType{PenaltyConfiscation}, DecidedOn: d("2026-04-01")},
			want{ClassGeneral, true, "2026-07-01", "2027-04-01", false, true, false, false, nil}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := resolved(t, tc.rs)
			p, err := ComputePublication(rs, tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.want.class, p.Class, "class")
			assert.Equal(t, tc.want.published, p.Published, "published")
			assert.Equal(t, tc.want.eligible, p.RepairEligibleFrom.String(), "repair eligible from")
			assert.Equal(t, tc.want.ends, p.PublicationEnds.String(), "publication ends")
			assert.Equal(t, tc.want.auto, p.AutoEndsWithoutApplication, "auto end")
			assert.Equal(t, tc.want.early, p.RepairableEarly, "repairable early")
			assert.Equal(t, tc.want.training, p.RequiresTraining, "training")
			assert.Equal(t, tc.want.noNewSame, p.NoNewSamePenaltyRequired, "no new same penalty")
			assert.Equal(t, tc.rs, p.RuleSetID)
			assert.Equal(t, rs.Base, p.RuleSetBase)
			require.NotEmpty(t, p.Reasons)
			all := strings.Join(p.Reasons, "\n")
			for _, part := range tc.want.reasonParts {
				assert.Contains(t, all, part)
			}
		})
	}
}

func TestComputePublicationPeriods(t *testing.T) {
	// The class's periods are reported for the repair notice; the samr low-fine case reports its shorter one.
	p, err := ComputePublication(resolved(t, "ndrc-2026"), PenaltyInput{Types: []PenaltyType{PenaltyConfiscation}, DecidedOn: d("2026-05-10")})
	require.NoError(t, err)
	assert.Equal(t, 3, p.MinPublishMonths)
	assert.Equal(t, 12, p.MaxPublishMonths)

	p, err = ComputePublication(resolved(t, "samr-2025"), PenaltyInput{Types: []PenaltyType{PenaltyCriticism}, DecidedOn: d("2026-05-10")})
	require.NoError(t, err)
	assert.Equal(t, 3, p.MaxPublishMonths)
	assert.True(t, p.AutoEndsWithoutApplication)
}

func TestComputePublicationErrors(t *testing.T) {
	ndrc := resolved(t, "ndrc-2026")
	ok := PenaltyInput{Types: []PenaltyType{PenaltyFine}, FineFen: 100_00, DecidedOn: d("2026-05-10")}
	for _, tc := range []struct {
		name   string
		rs     RuleSet
		change func(*PenaltyInput)
		code   string
	}{
		{"no date", ndrc, func(in *PenaltyInput) { in.DecidedOn = Date{} }, "invalid_decided_on"},
		{"before the set", ndrc, func(in *PenaltyInput) { in.DecidedOn = d("2026-03-31") }, "rule_set_not_in_force"},
		{"other sector", resolved(t, "samr-2025"), func(in *PenaltyInput) { in.Sector = "transport" }, "rule_set_sector_mismatch"},
		{"no types", ndrc, func(in *PenaltyInput) { in.Types = nil; in.FineFen = 0 }, "invalid_penalty_types"},
		{"unknown type", ndrc, func(in *PenaltyInput) { in.Types = append(in.Types, "flogging") }, "invalid_penalty_types"},
		{"fine without amount", ndrc, func(in *PenaltyInput) { in.FineFen = 0 }, "invalid_fine_amount"},
		{"amount without fine", ndrc, func(in *PenaltyInput) { in.Types = []PenaltyType{PenaltyWarning} }, "invalid_fine_amount"},
		{"negative amount", ndrc, func(in *PenaltyInput) { in.FineFen = -1 }, "invalid_fine_amount"},
		{"bad class", ndrc, func(in *PenaltyInput) { in.Class = "grave" }, "invalid_class"},
		{"negative duration", ndrc, func(in *PenaltyInput) { in.DurationMonths = -6 }, "invalid_duration"},
		{"summary revocation", ndrc, func(in *PenaltyInput) {
			in.Summary = true
			in.Types = append(in.Types, PenaltyLicenseRevocation)
		}, "invalid_penalty_types"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := ok
			in.Types = append([]PenaltyType(nil), ok.Types...)
			tc.change(&in)
			_, err := ComputePublication(tc.rs, in)
			var ie *InputError
			require.ErrorAs(t, err, &ie)
			assert.Equal(t, tc.code, ie.Code)
			assert.NotRegexp(t, `^[A-Za-z ]+$`, ie.Error(), "the message is for people, in Chinese")
		})
	}

	// An overlay must be resolved first.
	_, err := ComputePublication(ruleSet(t, "js-zj-2026"), ok)
	assert.ErrorContains(t, err, "unresolved overlay")

	// The input as given is fine.
	_, err = ComputePublication(ndrc, ok)
	assert.NoError(t, err)
}

func TestPenaltyTypeLabels(t *testing.T) {
	seen := map[string]bool{}
	for _, pt := range PenaltyTypes {
		assert.True(t, pt.Valid())
		label := pt.Label()
		assert.NotEqual(t, string(pt), label, "every type has a Chinese label")
		assert.False(t, seen[label], label)
		seen[label] = true
		if pt != PenaltyFine {
			_, ok := typeClass[pt]
			assert.True(t, ok, "type %s has a class", pt)
		}
	}
	assert.False(t, PenaltyType("flogging").Valid())
	assert.Equal(t, "严重", ClassSerious.Label())
	assert.False(t, Class("").Valid())
}
