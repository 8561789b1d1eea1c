package letters

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestContentRoundTripsWithItsDataType(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	in := Content{Kind: KindRepairNotice, Data: RepairNoticeData{
		Issue:          Issue{Issuer: "市生态环境局", Number: "镇环信修告〔2026〕1号", Date: time.Date(2026, 5, 20, 0, 0, 0, 0, shanghai)},
		EnterpriseName: "镇江堃元化工有限公司", DecisionNo: "镇环罚〔2026〕15号", ExtraConditions: []string{"参加培训"},
	}}
	raw, err := json.Marshal(in)
	require.NoError(t, err)
	var out Content
	require.NoError(t, json.Unmarshal(raw, &out))
	require.IsType(t, RepairNoticeData{}, out.Data)
	want, err := Build(in)
	require.NoError(t, err)
	got, err := Build(out)
	require.NoError(t, err)
	// JSON keeps a date's offset, not its zone's name.
	assert.True(t, want.Date.Equal(got.Date))
	got.Date = want.Date
	assert.Equal(t, want, got, "the activity builds the letter the workflow described")
	wantPDF, err := Render(want)
	require.NoError(t, err)
	got.Date = out.Data.(RepairNoticeData).Date
	gotPDF, err := Render(got)
	require.NoError(t, err)
	assert.Equal(t, SHA256Hex(wantPDF), SHA256Hex(gotPDF), "the same PDF")

	// A kind without a registered data type decodes into a map.
	raw, err = json.Marshal(Content{Kind: "no_such_kind", Data: map[string]any{"a": 1}})
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &out))
	assert.Equal(t, map[string]any{"a": float64(1)}, out.Data)
}

func TestBuildReportsInsteadOfPanicking(t *testing.T) {
	_, err := Build(Content{Kind: "no_such_kind"})
	assert.ErrorIs(t, err, ErrInvalid)
	_, err = Build(Content{Kind: KindRepairNotice, Data: NotAcceptedData{}})
	assert.ErrorIs(t, err, ErrInvalid, "data of another kind")
	_, err = Build(Content{Kind: KindRepairNotice, Data: RepairNoticeData{Issue: Issue{Date: time.Now()}}})
	assert.NoError(t, err)
}

func TestRepairNoticeOfAnUnpublishedRecordWithItsBasis(t *testing.T) {
	d := RepairNoticeData{
		Issue:          Issue{Issuer: "市生态环境局", Date: time.Date(2026, 5, 20, 0, 0, 0, 0, time.UTC)},
		EnterpriseName: "镇江堃元化工有限公司", DecisionNo: "镇环罚〔2026〕15号", ClassLabel: "轻微",
		DecidedOn: time.Date(2026, 5, 20, 0, 0, 0, 0, time.UTC), PublicationEnds: time.Date(2026, 8, 20, 0, 0, 0, 0, time.UTC),
		PublicationMax: "3个月", ExtraConditions: []string{"参加信用修复培训并取得培训合格证明"},
		Unpublished: true, AutoEnds: true, Basis: []string{"罚款1万元以下", "首次违法"}, RuleSet: "national-2023",
	}
	l, err := Build(Content{Kind: KindRepairNotice, Data: d})
	require.NoError(t, err)
	require.Len(t, l.Paragraphs, 1)
	assert.Contains(t, l.Paragraphs[0], "属于轻微失信信息，不向社会公示，但依法记入你单位信用记录，记录期限至2026年8月20日止。")
	notes := strings.Join(l.Notes, "\n")
	assert.Contains(t, notes, "（五）参加信用修复培训并取得培训合格证明。", "the rule set's condition follows the four national ones")
	assert.Contains(t, notes, "特别提示：该信息公示满3个月后于2026年8月20日自动停止公示，无需申请信用修复。")
	assert.Equal(t, "认定依据：罚款1万元以下；首次违法。", l.Notes[len(l.Notes)-1], "no rule-set id on paper")

	d.Unpublished, d.AutoEnds, d.Basis = false, false, nil
	l, err = Build(Content{Kind: KindRepairNotice, Data: d})
	require.NoError(t, err)
	assert.Contains(t, l.Paragraphs[0], "将依法向社会公示")
	assert.NotContains(t, strings.Join(l.Notes, ""), "特别提示")
	assert.NotContains(t, strings.Join(l.Notes, ""), "认定依据")
}

// TestPledgesAreTheLettersWords: the form shows the pledges of the PDF, every one of them.
func TestPledgesAreTheLettersWords(t *testing.T) {
	for _, k := range []Kind{KindCommitment, KindObjectionCommitment} {
		ps := Pledges(k)
		require.GreaterOrEqual(t, len(ps), 3, k)
		text := squeeze(strings.Join(fixtures()[k].Notes, ""))
		for _, p := range ps {
			assert.Contains(t, text, squeeze(p), k)
		}
	}
	assert.Len(t, Pledges(KindCommitment), 5)
}
