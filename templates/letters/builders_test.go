package letters

import (
	"xinyong/domain"

	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// all is every string a letter prints, for content checks on builders.
func all(l Letter) string {
	var b strings.Builder
	l.texts(func(s string, _ bool) { b.WriteString(s); b.WriteByte('\n') })
	return b.String()
}

func TestRepairNoticeStatesWhatTheRulesRequire(t *testing.T) {
	l := fixtures()[KindRepairNotice]
	s := all(l)
	// 两书同送: the enterprise, its code, the decision number and date, channels, period, earliest
	// date, conditions, materials, where to apply and a contact.
	for _, want := range []string{
		rareEnterprise, rareUSCC, "榕喆市监罚〔2026〕88号", "2026年4月1日", "一般失信信息",
		"信用中国（福建福州）", "最短公示期3个月", "最长公示期1年", "2027年4月1日", "2026年7月1日起",
		"（一）已达到最短公示期限", "信用承诺书", "信用修复窗口", "3个工作日内", "7个工作日内", "0591-88888888",
	} {
		assert.Contains(t, s, want)
	}
	assert.Equal(t, rareDept, l.Letterhead)
	assert.Equal(t, "特此告知。", l.Closing)

	// Conditions are numbered and punctuated as a list.
	var conds []string
	for _, n := range l.Notes {
		if strings.HasPrefix(n, "（") {
			conds = append(conds, n)
		}
	}
	require.NotEmpty(t, conds)
	assert.True(t, strings.HasPrefix(conds[1], "（二）"))
	assert.True(t, strings.HasSuffix(conds[0], "；"))

	minor := RepairNotice(RepairNoticeData{Issue: issue(rareDept, "x"), DecidedOn: day(2026, 4, 1), ClassLabel: "轻微"})
	assert.Contains(t, all(minor), "履行行政处罚决定规定的义务后即可申请")
	assert.Contains(t, all(minor), "（四）不存在因提供虚假材料", "default conditions when the rule set gives none")
}

func TestDeliveryReceiptIsASignableForm(t *testing.T) {
	l := fixtures()[KindDeliveryReceipt]
	labels := map[string]Fact{}
	for _, f := range l.Facts {
		labels[f.Label] = f
	}
	for _, want := range []string{"受送达人", "送达文书名称及文号", "送达地点", "送达方式", "收件人签名或盖章", "签收日期", "送达人", "见证人", "备注"} {
		assert.Contains(t, labels, want)
	}
	assert.Empty(t, labels["收件人签名或盖章"].Value, "left blank for the recipient")
	assert.GreaterOrEqual(t, labels["收件人签名或盖章"].Lines, 2)
	assert.Contains(t, labels["签收日期"].Value, "年")
	assert.Contains(t, labels["送达文书名称及文号"].Value, "《行政处罚决定书》（榕喆市监罚〔2026〕88号）\n《信用修复告知书》")
	assert.Equal(t, "直接送达", labels["送达方式"].Value)
	for _, m := range []domain.DeliveryMethod{domain.DeliveryInPerson, domain.DeliveryPost, domain.DeliveryElectronic, domain.DeliveryRefused} {
		assert.NotEmpty(t, m.Label(), m)
	}
}

func TestWithdrawalNoticeAddressesEveryChannel(t *testing.T) {
	data := WithdrawalNoticeData{
		Issue: issue(creditOffice, "榕信用函〔2026〕21号"), EnterpriseName: rareEnterprise, USCC: rareUSCC,
		DecisionNo: "榕喆市监罚〔2026〕88号", CauseDecision: "依据文书",
		Channels: []ChannelLine{{Name: "信用中国", Kind: "国家平台", DueOn: day(2026, 6, 4)}, {Name: "甲渠道", Kind: "第三方"}},
	}
	for _, c := range []domain.WithdrawalCause{domain.CauseRepair, domain.CauseExpiry, domain.CauseObjection, domain.CauseRevocation} {
		data.Cause = c
		l := WithdrawalNotice(data)
		s := all(l)
		assert.Contains(t, s, c.Label())
		assert.Contains(t, s, "依据文书")
		assert.Contains(t, s, rareEnterprise+"（统一社会信用代码："+rareUSCC+"）")
		require.Len(t, l.Table.Rows, 2)
		assert.Equal(t, []string{"1", "信用中国", "国家平台", "2026年6月4日"}, l.Table.Rows[0])
		assert.Equal(t, []string{"2", "甲渠道", "第三方", "—"}, l.Table.Rows[1])
	}
	assert.Empty(t, domain.WithdrawalCause("x").Label())
}

func TestSupplementNoticeListsEveryItem(t *testing.T) {
	l := SupplementNotice(SupplementNoticeData{Issue: issue(rareDept, "x"), ApplicationRef: app(), Items: []string{"甲", " ", "乙", "丙"}})
	assert.Equal(t, [][]string{{"1", "甲"}, {"2", "乙"}, {"3", "丙"}}, l.Table.Rows)
	assert.Contains(t, all(l), "一次性告知")
	assert.Contains(t, all(l), "XF-2026-000123")
}

func TestObjectionResultWordingFollowsTheOutcome(t *testing.T) {
	base := ObjectionResultData{Issue: issue(rareDept, "x"), ApplicationRef: app(), DecisionNo: "D1", Grounds: domain.GroundsDuplicate}
	for outcome, want := range map[domain.ObjectionOutcome]string{
		domain.OutcomeCorrected: "予以更正",
		domain.OutcomeWithdrawn: "终止公示",
		domain.OutcomeUpheld:    "异议不成立",
	} {
		base.Outcome = outcome
		s := all(ObjectionResult(base))
		assert.Contains(t, s, want, outcome)
		assert.Contains(t, s, "信息重复公示")
		assert.Contains(t, s, "异议处理中", "the mark is removed either way")
		assert.Equal(t, outcome == domain.OutcomeUpheld, strings.Contains(s, "行政复议"), "remedy only when upheld")
	}
}

func TestCommitmentsAreSignedByTheEnterprise(t *testing.T) {
	for _, l := range []Letter{fixtures()[KindCommitment], fixtures()[KindObjectionCommitment]} {
		assert.Empty(t, l.Letterhead, "an enterprise's commitment has no authority letterhead")
		assert.Equal(t, rareEnterprise, l.Issuer)
		assert.Equal(t, []string{"法定代表人（签字）"}, l.Signatures)
		assert.Contains(t, all(l), "真实")
		assert.Contains(t, all(l), "法律责任")
		assert.Contains(t, all(l), "在线确认")
	}
}

func TestTrainingCertificate(t *testing.T) {
	s := all(fixtures()[KindTrainingCertificate])
	for _, want := range []string{rarePerson, "法定代表人", "2026年5月28日", "4学时", "92分（合格线60分）", "福建喆昇信用服务有限公司承办", "合格"} {
		assert.Contains(t, s, want)
	}
	assert.NotContains(t, s, "至2026年5月28日", "a one-day session prints one date")
}

func TestCnNumber(t *testing.T) {
	for n, want := range map[int]string{1: "一", 9: "九", 10: "十", 11: "十一", 20: "二十", 23: "二十三", 99: "九十九", 100: "100"} {
		assert.Equal(t, want, cnNumber(n))
	}
}

func TestFormatAndParseDate(t *testing.T) {
	d, err := ParseDate("2026-04-01")
	require.NoError(t, err)
	assert.Equal(t, "2026年4月1日", FormatDate(d))
	assert.Empty(t, FormatDate(time.Time{}))
	_, err = ParseDate("2026/04/01")
	assert.Error(t, err)
}
