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
			want{ClassGeneral, true, "2026-08-11", "2027-05-10", false, true, false, false, []string{"罚款5000.01元，属一般失信"}}},
		{"fine just below serious", "ndrc-2026",
			PenaltyInput{Types: []PenaltyType{PenaltyFine}, FineFen: 999_999_99, DecidedOn: d("2026-05-10")},
			want{ClassGeneral, true, "2026-08-11", "2027-05-10", false, true, false, false, nil}},
		{"huge fine", "ndrc-2026",
			PenaltyInput{Types: []PenaltyType{PenaltyFine}, FineFen: 1_000_000_00, DecidedOn: d("2026-05-10")},
			want{ClassSerious, true, "2027-05-11", "2029-05-10", false, true, false, false, []string{"达到1000000元以上，属严重失信"}}},
		{"confiscation and fine: month end clamps", "ndrc-2026",
			PenaltyInput{Types: []PenaltyType{PenaltyConfiscation, PenaltyFine}, FineFen: 12345_50, DecidedOn: d("2026-11-30")},
			want{ClassGeneral, true, "2027-03-01", "2027-11-30", false, true, false, false, []string{"罚款12345.5元", "从重认定为一般失信"}}},
		{"licence revocation", "ndrc-2026",
			PenaltyInput{Types: []PenaltyType{PenaltyLicenseRevocation}, DecidedOn: d("2026-08-31")},
			want{ClassSerious, true, "2027-09-01", "2029-08-31", false, true, false, false, []string{"吊销许可证件，属严重失信"}}},
		{"longest wins: fine with a 6-month suspension", "ndrc-2026",
			PenaltyInput{Types: []PenaltyType{PenaltyFine, PenaltyLicenseSuspension}, FineFen: 1000_00, DurationMonths: 6, DecidedOn: d("2026-06-15")},
			want{ClassSerious, true, "2027-06-16", "2029-06-15", false, true, false, false, []string{"从重认定为严重失信"}}},
		{"own duration beyond the maximum", "ndrc-2026",
			PenaltyInput{Types: []PenaltyType{PenaltyOther}, DurationMonths: 18, DecidedOn: d("2026-06-15")},
			want{ClassGeneral, true, "2027-12-16", "2027-12-15", false, true, false, false, []string{"处罚期限18个月（至2027-12-15）"}}},
		{"own duration beyond the minimum only", "ndrc-2026",
			PenaltyInput{Types: []PenaltyType{PenaltyConfiscation}, DurationMonths: 6, DecidedOn: d("2026-06-15")},
			want{ClassGeneral, true, "2026-12-16", "2027-06-15", false, true, false, false, []string{"届满前不得撤下公示或修复"}}},
		{"department classifies higher", "ndrc-2026",
			PenaltyInput{Types: []PenaltyType{PenaltyWarning}, Class: ClassGeneral, DecidedOn: d("2026-05-10")},
			want{ClassGeneral, true, "2026-08-11", "2027-05-10", false, true, false, false, []string{"认定部门认定为一般失信（按处罚种类推定为轻微失信）"}}},
		{"department confirms", "ndrc-2026",
			PenaltyInput{Types: []PenaltyType{PenaltySeriousList}, Class: ClassSerious, DecidedOn: d("2026-05-10")},
			want{ClassSerious, true, "2027-05-11", "2029-05-10", false, true, false, false, []string{"认定部门认定为严重失信"}}},
		{"predecessor set", "ndrc-2023",
			PenaltyInput{Types: []PenaltyType{PenaltyClosure}, DecidedOn: d("2024-02-29")},
			want{ClassSerious, true, "2025-03-01", "2027-02-28", false, true, false, false, nil}},

		{"Zhenjiang: serious needs training", "js-zj-2026",
			PenaltyInput{Types: []PenaltyType{PenaltyPracticeBan}, DecidedOn: d("2026-04-01")},
			want{ClassSerious, true, "2027-04-02", "2029-04-01", false, true, true, false, nil}},
		{"Zhenjiang: general does not", "js-zj-2026",
			PenaltyInput{Types: []PenaltyType{PenaltyConfiscation}, DecidedOn: d("2026-04-01")},
			want{ClassGeneral, true, "2026-07-02", "2027-04-01", false, true, false, false, nil}},
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

	p, err = ComputePublication(resolved(t, "samr-2025"), PenaltyInput{Types: []PenaltyType{PenaltyCriticism}, DecidedOn: d("2026-05-10"), PublishedOn: d("2026-05-12")})
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
		{"unknown field", ndrc, func(in *PenaltyInput) { in.RegulatedField = "tobacco" }, "invalid_regulated_field"},
		{"unknown discretion", ndrc, func(in *PenaltyInput) { in.Discretion = "lenient" }, "invalid_discretion"},
		{"published before decided", ndrc, func(in *PenaltyInput) { in.PublishedOn = d("2026-05-09") }, "published_before_decision"},
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

// TestSAMR2025 checks every class rule of SAMR Order 107 (and Order 45 on publication) as samr-2025 encodes it; each
// case names its article.
func TestSAMR2025(t *testing.T) {
	rs := resolved(t, "samr-2025")
	type want struct {
		class     Class
		published bool
		eligible  string // first day repair may be asked
		ends      string // last day of publication
		auto      bool
		early     bool
		reasons   []string
	}
	fine := func(yuan int64, disc Discretion, f RegulatedField) PenaltyInput {
		return PenaltyInput{Types: []PenaltyType{PenaltyFine}, FineFen: yuan * 100, Discretion: disc, RegulatedField: f,
			DecidedOn: d("2026-03-02"), PublishedOn: d("2026-03-10")}
	}
	typed := func(f RegulatedField, types ...PenaltyType) PenaltyInput {
		return PenaltyInput{Types: types, RegulatedField: f, DecidedOn: d("2026-03-02"), PublishedOn: d("2026-03-10")}
	}
	for _, tc := range []struct {
		name string
		in   PenaltyInput
		want want
	}{
		{"art. 7 ¶1: a warning alone is not published", typed("", PenaltyWarning),
			want{ClassMinor, false, "2026-03-02", "2026-03-02", false, true, []string{"仅受到警告处罚，不予公示"}}},
		{"art. 7 ¶2: criticism stops by itself after 3 months", typed("", PenaltyCriticism),
			want{ClassMinor, true, "2026-03-10", "2026-06-10", true, true, []string{"公示满3个月自动停止公示"}}},
		{"art. 7 ¶3: 50,000 under lighter discretion is a low fine", fine(50000, DiscretionLighter, ""),
			want{ClassMinor, true, "2026-03-10", "2026-06-10", true, true, []string{"较低数额罚款", "从轻处罚"}}},
		{"art. 7 ¶3: 20,000 under mitigated discretion is a low fine, even in the food field", fine(20000, DiscretionMitigated, FieldFood),
			want{ClassMinor, true, "2026-03-10", "2026-06-10", true, true, nil}},
		{"art. 7 ¶3: 40,000 at the normal tier is not a low fine (art. 9 general)", fine(40000, DiscretionNormal, ""),
			want{ClassGeneral, true, "2026-06-11", "2027-03-10", false, true, []string{"一般处罚", "属一般失信"}}},
		{"art. 7 ¶3: no discretion stated is not a low fine", fine(1000, "", ""),
			want{ClassGeneral, true, "2026-06-11", "2027-03-10", false, true, nil}},
		{"art. 7 ¶3: 50,000.01 under lighter discretion is above the limit", PenaltyInput{Types: []PenaltyType{PenaltyFine},
			FineFen: 50000_01, Discretion: DiscretionLighter, DecidedOn: d("2026-03-02"), PublishedOn: d("2026-03-10")},
			want{ClassGeneral, true, "2026-06-11", "2027-03-10", false, true, nil}},
		{"art. 9: a 5,000,000 advertising fine is general, never serious by amount", fine(5_000_000, DiscretionHeavier, ""),
			want{ClassGeneral, true, "2026-06-11", "2027-03-10", false, true, nil}},
		{"art. 8 ¶1(1): a food-safety fine is serious by field", fine(80000, DiscretionNormal, FieldFood),
			want{ClassSerious, true, "2027-03-11", "2029-03-10", false, true, []string{"属食品领域的违法行为"}}},
		{"art. 8 ¶1(1): drugs", typed(FieldDrug, PenaltyConfiscation), want{ClassSerious, true, "2027-03-11", "2029-03-10", false, true, nil}},
		{"art. 8 ¶1(1): medical devices", fine(60000, DiscretionNormal, FieldMedicalDevice), want{ClassSerious, true, "2027-03-11", "2029-03-10", false, true, nil}},
		{"art. 8 ¶1(1): cosmetics", fine(60000, DiscretionNormal, FieldCosmetics), want{ClassSerious, true, "2027-03-11", "2029-03-10", false, true, nil}},
		{"art. 8 ¶1(1): special equipment", fine(60000, DiscretionNormal, FieldSpecialEquipment), want{ClassSerious, true, "2027-03-11", "2029-03-10", false, true, nil}},
		{"art. 8 ¶1(1): key industrial products", fine(60000, DiscretionNormal, FieldKeyIndustrialProduct), want{ClassSerious, true, "2027-03-11", "2029-03-10", false, true, nil}},
		{"art. 8 ¶1(2): restriction of business is serious, repairable after a year", typed("", PenaltyBusinessRestriction),
			want{ClassSerious, true, "2027-03-11", "2029-03-10", false, true, nil}},
		{"art. 8 ¶1(2): production suspension is repairable after a year and after the suspension ends",
			PenaltyInput{Types: []PenaltyType{PenaltyProductionSuspension}, DurationMonths: 18, DecidedOn: d("2026-03-02"), PublishedOn: d("2026-03-10")},
			want{ClassSerious, true, "2027-09-03", "2029-03-10", false, true, []string{"责令停产停业，属严重失信", "处罚期限18个月"}}},
		{"art. 8 ¶1(2): practice ban", typed("", PenaltyPracticeBan), want{ClassSerious, true, "2027-03-11", "2029-03-10", false, true, nil}},
		{"art. 8 last ¶: licence downgrade is not repairable early", typed("", PenaltyLicenseDowngrade),
			want{ClassSerious, true, "2029-03-11", "2029-03-10", false, false, []string{"降低资质等级的，不得提前修复"}}},
		{"art. 8 last ¶: licence revocation is not repairable early", typed("", PenaltyLicenseRevocation, PenaltyConfiscation),
			want{ClassSerious, true, "2029-03-11", "2029-03-10", false, false, []string{"吊销许可证件的，不得提前修复"}}},
		{"art. 8 last ¶: business licence revocation is not repairable early", typed("", PenaltyBusinessLicenseRevocation),
			want{ClassSerious, true, "2029-03-11", "2029-03-10", false, false, []string{"吊销营业执照的，不得提前修复"}}},
		{"art. 8 last ¶: ordered closure is not repairable early", typed("", PenaltyClosure),
			want{ClassSerious, true, "2029-03-11", "2029-03-10", false, false, []string{"责令关闭的，不得提前修复"}}},
		{"art. 8 (not listed): licence suspension is general", typed("", PenaltyLicenseSuspension),
			want{ClassGeneral, true, "2026-06-11", "2027-03-10", false, true, []string{"暂扣许可证件，属一般失信"}}},
		{"art. 8 ¶1(1): licence suspension in the drug field is serious", typed(FieldDrug, PenaltyLicenseSuspension),
			want{ClassSerious, true, "2027-03-11", "2029-03-10", false, true, nil}},
		{"art. 9: confiscation elsewhere is general", typed("", PenaltyConfiscation),
			want{ClassGeneral, true, "2026-06-11", "2027-03-10", false, true, nil}},
		{"Order 45 art. 2: summary procedure is not published", PenaltyInput{Types: []PenaltyType{PenaltyFine}, FineFen: 200_00,
			Summary: true, DecidedOn: d("2026-03-02")},
			want{ClassMinor, false, "2026-03-02", "2026-03-02", false, true, []string{"简易程序"}}},
		{"Order 45 art. 13: periods run from publication; before it is known, from the decision", typed("", PenaltyConfiscation),
			want{ClassGeneral, true, "2026-06-11", "2027-03-10", false, true, []string{"自公示之日（2026-03-10）起计算"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ComputePublication(rs, tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.want.class, p.Class, "class")
			assert.Equal(t, tc.want.published, p.Published, "published")
			assert.Equal(t, tc.want.eligible, p.RepairEligibleFrom.String(), "repair eligible from")
			assert.Equal(t, tc.want.ends, p.PublicationEnds.String(), "publication ends")
			assert.Equal(t, tc.want.auto, p.AutoEndsWithoutApplication, "auto end")
			assert.Equal(t, tc.want.early, p.RepairableEarly, "repairable early")
			assert.True(t, p.NoNewSamePenaltyRequired, "art. 11(3)")
			all := strings.Join(p.Reasons, "\n")
			for _, part := range tc.want.reasons {
				assert.Contains(t, all, part)
			}
		})
	}

	// Order 45 art. 13: without a publication date the periods fall back to the decision date, and say so.
	in := typed("", PenaltyConfiscation)
	in.PublishedOn = Date{}
	p, err := ComputePublication(rs, in)
	require.NoError(t, err)
	assert.Equal(t, "2027-03-02", p.PublicationEnds.String())
	assert.Contains(t, strings.Join(p.Reasons, "\n"), "尚未登记公示日期")
}

// TestNDRC2026 checks the NDRC Order 36 class rules that depend on registration flags.
func TestNDRC2026(t *testing.T) {
	rs := resolved(t, "ndrc-2026")
	// Art. 8(1): summary procedure is minor; art. 12: minor is in principle not published.
	p, err := ComputePublication(rs, PenaltyInput{Types: []PenaltyType{PenaltyFine}, FineFen: 100_00, Summary: true, DecidedOn: d("2026-05-10")})
	require.NoError(t, err)
	assert.Equal(t, ClassMinor, p.Class)
	assert.False(t, p.Published)
	// Art. 12: the sector department may decide to publish it, for at most 3 months.
	p, err = ComputePublication(rs, PenaltyInput{Types: []PenaltyType{PenaltyWarning}, PublishMinor: true, DecidedOn: d("2026-05-10")})
	require.NoError(t, err)
	assert.Equal(t, ClassMinor, p.Class)
	assert.True(t, p.Published)
	assert.Equal(t, "2026-08-10", p.PublicationEnds.String())
	assert.Equal(t, "2026-05-10", p.RepairEligibleFrom.String(), "as soon as the obligations are fulfilled")
	// The flag does not touch a general record.
	p, err = ComputePublication(rs, PenaltyInput{Types: []PenaltyType{PenaltyConfiscation}, PublishMinor: true, DecidedOn: d("2026-05-10")})
	require.NoError(t, err)
	assert.Equal(t, ClassGeneral, p.Class)
	assert.Equal(t, "2027-05-10", p.PublicationEnds.String())
	// Periods run from the decision whatever the publication date.
	p, err = ComputePublication(rs, PenaltyInput{Types: []PenaltyType{PenaltyConfiscation}, DecidedOn: d("2026-05-10"), PublishedOn: d("2026-05-20")})
	require.NoError(t, err)
	assert.Equal(t, "2027-05-10", p.PublicationEnds.String())
}

func TestIsHeavierPenalty(t *testing.T) {
	assert.True(t, IsHeavierPenalty([]PenaltyType{PenaltyFine}, DiscretionHeavier))
	assert.False(t, IsHeavierPenalty([]PenaltyType{PenaltyFine}, DiscretionNormal))
	assert.True(t, IsHeavierPenalty([]PenaltyType{PenaltyWarning, PenaltyClosure}, ""))
	assert.False(t, IsHeavierPenalty([]PenaltyType{PenaltyConfiscation, PenaltyLicenseSuspension}, DiscretionLighter))
}

// TestEligibilityIsTheDayAfterThePeriod: NDRC Order 36 art. 12 and SAMR Order 107 art. 11 allow repair after the
// minimum period has run out; with Civil Code arts. 201-202 a general penalty decided 2026-04-15 may apply from
// 2026-07-16.
func TestEligibilityIsTheDayAfterThePeriod(t *testing.T) {
	p, err := ComputePublication(resolved(t, "ndrc-2026"), PenaltyInput{Types: []PenaltyType{PenaltyConfiscation}, DecidedOn: d("2026-04-15")})
	require.NoError(t, err)
	assert.Equal(t, "2026-07-16", p.RepairEligibleFrom.String())
	assert.Equal(t, "2027-04-15", p.PublicationEnds.String(), "the last day of publication; withdrawn once it is over")
	assert.Equal(t, d("2026-07-16"), EligibleAfter(d("2026-04-15"), 3))
	assert.Equal(t, d("2026-03-01"), EligibleAfter(d("2025-11-30"), 3), "2026-02-28 is the last day of the period")
	assert.Equal(t, d("2026-04-15"), EligibleAfter(d("2026-04-15"), 0), "no minimum period: at once")
}

// TestRegimesBefore2023And2025 covers the sets for decisions under the earlier regimes: the 527 practice
// (发改办财金〔2019〕527号, from 2019-07-01) and SAMR Order 45 (before Order 107 took over on 2025-12-25).
func TestRegimesBefore2023And2025(t *testing.T) {
	ndrc19 := resolved(t, "ndrc-2019")
	for _, tc := range []struct {
		name               string
		in                 PenaltyInput
		class              Class
		eligible, ends     string
		early, train, cred bool
	}{
		{"527: general 3 months to 1 year from the decision", PenaltyInput{Types: []PenaltyType{PenaltyConfiscation}, DecidedOn: d("2020-06-15")},
			ClassGeneral, "2020-09-16", "2021-06-15", true, false, false},
		{"527: serious 6 months to 3 years, with training and a credit report", PenaltyInput{Types: []PenaltyType{PenaltyLicenseRevocation}, DecidedOn: d("2020-06-15")},
			ClassSerious, "2020-12-16", "2023-06-15", true, true, true},
		{"527: 特定严重失信 published the full 3 years", PenaltyInput{Types: []PenaltyType{PenaltySeriousList}, DecidedOn: d("2020-06-15")},
			ClassSerious, "2023-06-16", "2023-06-15", false, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ComputePublication(ndrc19, tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.class, p.Class)
			assert.Equal(t, tc.eligible, p.RepairEligibleFrom.String())
			assert.Equal(t, tc.ends, p.PublicationEnds.String())
			assert.Equal(t, tc.early, p.RepairableEarly)
			assert.Equal(t, tc.train, p.RequiresTraining)
			assert.Equal(t, tc.cred, p.RequiresCreditReport)
		})
	}

	samr21 := resolved(t, "samr-2021")
	assert.Equal(t, 20, samr21.Deadlines.Publication, "Order 45: published within 20 working days")
	for _, tc := range []struct {
		name           string
		in             PenaltyInput
		class          Class
		published      bool
		eligible, ends string
		early, auto    bool
	}{
		{"Order 45 art. 2: warning alone not published", PenaltyInput{Types: []PenaltyType{PenaltyWarning}, DecidedOn: d("2024-03-01")},
			ClassMinor, false, "2024-03-01", "2024-03-01", true, false},
		{"Order 45: a low fine stops after 3 months from publication", PenaltyInput{Types: []PenaltyType{PenaltyFine}, FineFen: 10000_00,
			Discretion: DiscretionLighter, DecidedOn: d("2024-03-01"), PublishedOn: d("2024-03-20")},
			ClassMinor, true, "2024-03-20", "2024-06-20", true, true},
		{"Order 45: other penalties 3 years from publication, early stop after 6 months", PenaltyInput{Types: []PenaltyType{PenaltyFine},
			FineFen: 2_000_000_00, Discretion: DiscretionNormal, DecidedOn: d("2024-03-01"), PublishedOn: d("2024-03-20")},
			ClassGeneral, true, "2024-09-21", "2027-03-20", true, false},
		{"Order 45: food is not repairable early", PenaltyInput{Types: []PenaltyType{PenaltyConfiscation}, RegulatedField: FieldFood,
			DecidedOn: d("2024-03-01"), PublishedOn: d("2024-03-20")},
			ClassSerious, true, "2027-03-21", "2027-03-20", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ComputePublication(samr21, tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.class, p.Class)
			assert.Equal(t, tc.published, p.Published)
			assert.Equal(t, tc.eligible, p.RepairEligibleFrom.String())
			assert.Equal(t, tc.ends, p.PublicationEnds.String())
			assert.Equal(t, tc.early, p.RepairableEarly)
			assert.Equal(t, tc.auto, p.AutoEndsWithoutApplication)
		})
	}

	// Every parameter whose source could not be read is marked as an assumption in the set's notes.
	for _, id := range []string{"ndrc-2019", "ndrc-2023", "samr-2021", "samr-2025"} {
		assert.Contains(t, strings.Join(resolved(t, id).Notes, "\n"), "假设", id)
	}
}
