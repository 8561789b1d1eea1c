package letters

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func recordFixture() RecordNoticeData {
	return RecordNoticeData{
		Issue: issue(rareDept, "榕喆市监信修虚〔2026〕12号"), EnterpriseName: rareEnterprise, USCC: rareUSCC,
		RecordTitle: "严重失信主体名单", RecordNo: "榕喆市监严列〔2026〕3号", DecisionNo: "榕喆市监罚〔2026〕88号",
		RelatedNo: "（2026）闽01破12号之一", Cause: long("查明事实"), Reason: long("审核意见"),
		Records:  []string{"行政处罚（榕喆市监罚〔2026〕88号）", "严重失信主体名单（榕喆市监严列〔2026〕3号）"},
		Channels: []string{"信用中国", "国家企业信用信息公示系统（福建）"},
		From:     day(2026, 6, 1), Until: day(2029, 6, 1), EligibleFrom: day(2027, 6, 1), BannedUntil: day(2029, 6, 1),
		Contact: "0591-88888888", ReconsiderationBody: "福州市人民政府",
	}
}

// The record letters say what the officer and the enterprise need: the record, the dates, what happens next.
func TestRecordLettersSayWhatHappensNext(t *testing.T) {
	d := recordFixture()
	text := func(k Kind) string {
		l := RecordNotice(k, d)
		require.NotEmpty(t, l.Paragraphs, k)
		var b strings.Builder
		b.WriteString(l.Title)
		for _, p := range l.Paragraphs {
			b.WriteString(p)
		}
		for _, f := range l.Facts {
			b.WriteString(f.Label + f.Value)
		}
		return b.String()
	}
	for k, want := range map[Kind][]string{
		KindFraudRecord:       {"弄虚作假失信记录公示告知书", "2029年6月1日", "不得申请提前修复", "期满后自动撤下", "榕喆市监罚〔2026〕88号"},
		KindSeriousListNotice: {"信用修复告知书", "2027年6月1日起可以申请", "满三年（2029年6月1日）自动移出", "同时停止公示"},
		KindListingRemoved:    {"移出名单决定书", "移出严重失信主体名单", "同时停止公示"},
		KindListingRefused:    {"不予移出名单决定书", "不予移出"},
		KindShieldDecision:    {"暂时屏蔽失信信息决定书", "暂时屏蔽", "并非信用修复", "恢复公示", "（2026）闽01破12号之一", "（二）严重失信主体名单"},
		KindShieldRestored:    {"恢复公示失信信息决定书", "恢复公示", "（一）行政处罚"},
	} {
		got := text(k)
		for _, w := range want {
			assert.Contains(t, got, w, k)
		}
	}
}
