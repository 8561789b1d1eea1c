package letters

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// useTexts points the override directory at dir (empty: none) for one test and loads it; the
// embedded texts are restored afterwards.
func useTexts(t *testing.T, dir string) error {
	t.Helper()
	t.Setenv(TextsDirEnv, dir)
	t.Cleanup(func() {
		// Not LoadTexts: kinds registered for the test may still be registered (cleanups run last
		// first), and the embedded texts do not have theirs.
		set, err := loadTextSet("", false)
		if err != nil {
			panic(err)
		}
		currentTexts.Store(set)
	})
	return LoadTexts()
}

// textsDir writes files into a new directory.
func textsDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(src), 0o600))
	}
	return dir
}

// embeddedText returns an embedded text, edited by the replacements (old, new, old, new …).
func embeddedText(t *testing.T, kind Kind, replacements ...string) string {
	t.Helper()
	b, err := embeddedTexts.ReadFile("texts/" + string(kind) + ".tmpl")
	require.NoError(t, err)
	s := string(b)
	for i := 0; i < len(replacements); i += 2 {
		require.Contains(t, s, replacements[i])
		s = strings.ReplaceAll(s, replacements[i], replacements[i+1])
	}
	return s
}

// registerForTest registers a kind for one test only: the registry is global and LoadTexts insists
// on a text for every registered kind.
func registerForTest(t *testing.T, k Kind, sample any) {
	t.Helper()
	require.NoError(t, RegisterKind(k, sample))
	t.Cleanup(func() {
		registryMu.Lock()
		delete(registry, k)
		registryMu.Unlock()
	})
}

func TestEmbeddedTexts(t *testing.T) {
	_, err := loadTextSet("", true)
	require.NoError(t, err, "every embedded text parses and validates on empty and filled data")
	// The titles come from the texts and are those of the procedures.
	want := map[Kind]string{
		KindRepairNotice: "信用修复告知书", KindDeliveryReceipt: "送达回证", KindCommitment: "信用承诺书",
		KindSupplementNotice: "补正通知书", KindNotAccepted: "不予受理通知书", KindRepairApproved: "准予信用修复决定书",
		KindRepairRefused: "不予信用修复决定书", KindWithdrawalNotice: "告知函", KindRectificationNotice: "整改通知书",
		KindWarningInterview: "警示约谈记录", KindExtensionNotice: "延期告知书", KindObjectionCommitment: "异议申诉信用承诺书",
		KindObjectionResult: "异议处理结果告知书", KindTrainingCertificate: "信用修复培训证明", KindRevocationDecision: "撤销信用修复决定书",
		KindTrainingPlan: "信用修复培训方案",
		KindFraudRecord:  "弄虚作假失信记录公示告知书", KindSeriousListNotice: "信用修复告知书", KindListingRemoved: "移出名单决定书",
		KindListingRefused: "不予移出名单决定书", KindShieldDecision: "暂时屏蔽失信信息决定书", KindShieldRestored: "恢复公示失信信息决定书",
		KindActivationCode: "企业账号激活通知书",
	}
	assert.Len(t, Kinds(), len(want))
	for i, b := range builtinKinds {
		assert.Equal(t, b.kind, Kinds()[i], "builtin kinds keep their order")
		assert.Equal(t, want[b.kind], DefaultTitle(b.kind))
	}
	for _, info := range Texts() {
		assert.Equal(t, "embedded:texts/"+string(info.Kind)+".tmpl", info.Source)
		assert.Equal(t, want[info.Kind], info.Title)
	}
	assert.Len(t, DefaultRepairConditions(), 4)
	assert.Len(t, DefaultRepairMaterials(), 4)
	assert.Equal(t, "信用修复申请书", DefaultRepairMaterials()[0])
}

func TestFromTemplateMatchesTheBuilder(t *testing.T) {
	data := typicalRepairNoticeData()
	l, err := FromTemplate(KindRepairNotice, data)
	require.NoError(t, err)
	assert.Equal(t, RepairNotice(data), l)
	assert.Equal(t, data.Date, l.Date)
	assert.Equal(t, data.VerifyCode, l.VerifyCode)
	assert.Equal(t, data.VerifyURL, l.VerifyURL)

	_, err = FromTemplate("no_such_kind", data)
	assert.ErrorIs(t, err, ErrInvalid)
}

// TestValuesCannotSplitItems: a value holding "|" or a line break stays inside its fact, cell or
// paragraph.
func TestValuesCannotSplitItems(t *testing.T) {
	l := SupplementNotice(SupplementNoticeData{
		Issue: issue(rareDept, "x"), ApplicationRef: app(), DecisionNo: "甲|乙",
		Items: []string{"发票|收据", "第一行\n第二行", "回车\r\n换行"},
	})
	assert.Equal(t, [][]string{{"1", "发票|收据"}, {"2", "第一行\n第二行"}, {"3", "回车\n换行"}}, l.Table.Rows)
	assert.Equal(t, Fact{Label: "行政处罚决定书文号", Value: "甲|乙"}, l.Facts[len(l.Facts)-1])

	r := NotAccepted(NotAcceptedData{Issue: issue(rareDept, "x"), ApplicationRef: app(), Reason: "理由一\n理由二|三"})
	require.Len(t, r.Paragraphs, 2)
	assert.Contains(t, r.Paragraphs[0], "理由一\n理由二|三")

	d := DeliveryReceipt(DeliveryReceiptData{Documents: []ReceiptDocument{{Name: "甲"}, {Name: "《乙》", Number: "2号"}}})
	assert.Equal(t, "《甲》\n《乙》（2号）", d.Facts[1].Value, "{{br}} breaks a line inside a fact")
}

func TestTemplateFunctions(t *testing.T) {
	assert.Equal(t, "alt", defaultValue("alt", "  "))
	assert.Equal(t, "x", defaultValue("alt", "x"))
	assert.Equal(t, "alt", defaultValue("alt", []string{}))
	assert.Equal(t, "alt", defaultValue("alt", time.Time{}))
	assert.Equal(t, "alt", defaultValue("alt", 0))
	assert.Equal(t, "alt", defaultValue("alt", nil))
	assert.Equal(t, 2, defaultValue("alt", 2))
	assert.Equal(t, []string{"（一）甲；", "（二）乙。"}, enumerate([]string{" 甲。", "", "乙；"}))
	assert.Equal(t, "2026年4月1日", printable(day(2026, 4, 1)))
	assert.Equal(t, "", printable(nil))
	assert.Equal(t, "直接送达", printable(stringer{}))
	assert.Equal(t, []string{"1", "2026年4月1日"}, toStrings([]any{1, day(2026, 4, 1)}))
}

type stringer struct{}

func (stringer) String() string { return "直接送达" }

func TestOverrideDirectoryReplacesWording(t *testing.T) {
	dir := textsDir(t, map[string]string{
		"repair_notice.tmpl": embeddedText(t, KindRepairNotice,
			"{{define \"closing\"}}特此告知。{{end}}", "{{define \"closing\"}}特此告知，请遵照执行。{{end}}",
			"已履行行政处罚决定规定的义务，缴清罚款，完成整改，纠正失信行为", "已缴清罚款并完成整改"),
		"_common.tmpl": embeddedText(t, "_common", "或者在六个月内依法向人民法院提起行政诉讼", "或者在六个月内依法提起行政诉讼"),
		"README.txt":   "not a text",
	})
	require.NoError(t, useTexts(t, dir))

	l := RepairNotice(typicalRepairNoticeData())
	assert.Equal(t, "特此告知，请遵照执行。", l.Closing)
	assert.Contains(t, strings.Join(l.Notes, "\n"), "（二）已缴清罚款并完成整改；")
	assert.Contains(t, DefaultRepairConditions(), "已缴清罚款并完成整改")
	assert.Equal(t, "信用修复告知书", DefaultTitle(KindRepairNotice))

	refused := RepairRefused(RepairDecisionData{Issue: issue(rareDept, "x"), ApplicationRef: app()})
	assert.Contains(t, refused.Paragraphs[1], "或者在六个月内依法提起行政诉讼。", "shared wording replaced for every letter")

	sources := map[Kind]string{}
	for _, info := range Texts() {
		sources[info.Kind] = info.Source
	}
	assert.Equal(t, filepath.Join(dir, "repair_notice.tmpl"), sources[KindRepairNotice])
	assert.Equal(t, "embedded:texts/repair_refused.tmpl", sources[KindRepairRefused])

	pdf, err := Render(l)
	require.NoError(t, err)
	assert.Contains(t, squeeze(extract(t, pdf, "-layout")), "特此告知，请遵照执行。")
}

func TestInvalidOverridesAreRefused(t *testing.T) {
	notice := func(old, new string) map[string]string {
		return map[string]string{"repair_notice.tmpl": embeddedText(t, KindRepairNotice, old, new)}
	}
	for name, c := range map[string]struct {
		files map[string]string
		want  []string
	}{
		"syntax":           {notice("{{define \"closing\"}}特此告知。{{end}}", "{{define \"closing\"}}特此告知。{{if}}{{end}}"), []string{"repair_notice.tmpl", "missing value for if"}},
		"unknown function": {notice("{{date .DecidedOn}}", "{{datum .DecidedOn}}"), []string{"repair_notice.tmpl", `function "datum" not defined`}},
		"unknown field":    {notice("{{.EnterpriseName}}", "{{.EnterpriseNam}}"), []string{"repair_notice.tmpl", "EnterpriseNam"}},
		"field in a range": {map[string]string{"withdrawal_notice.tmpl": embeddedText(t, KindWithdrawalNotice, "{{$c.Name}}", "{{$c.Title}}")}, []string{"withdrawal_notice.tmpl", "Title"}},
		"no title":         {notice("{{define \"title\"}}信用修复告知书{{end}}", ""), []string{"repair_notice.tmpl", "title"}},
		"misspelt section": {notice("{{define \"paragraphs\"}}", "{{define \"paragraph\"}}"), []string{"repair_notice.tmpl", `section "paragraph"`}},
		"short table row":  {map[string]string{"withdrawal_notice.tmpl": embeddedText(t, KindWithdrawalNotice, "|{{$c.Kind}}|", "|")}, []string{"withdrawal_notice.tmpl", "table row 1 has 3 cells for 4 headers"}},
		"bad line count":   {map[string]string{"delivery_receipt.tmpl": embeddedText(t, KindDeliveryReceipt, "收件人签名或盖章||3", "收件人签名或盖章||三")}, []string{"delivery_receipt.tmpl", "收件人签名或盖章"}},
		"unknown glyph":    {notice("特此告知。", "特此告知𠀀。"), []string{"repair_notice.tmpl", "“𠀀”"}},
		"misspelt file":    {map[string]string{"repair_notise.tmpl": embeddedText(t, KindRepairNotice)}, []string{"repair_notise.tmpl", "not a letter kind"}},
	} {
		t.Run(name, func(t *testing.T) {
			err := useTexts(t, textsDir(t, c.files))
			require.Error(t, err)
			for _, w := range c.want {
				assert.Contains(t, err.Error(), w)
			}
			// The texts in use are unchanged.
			assert.Equal(t, "embedded:texts/repair_notice.tmpl", Texts()[0].Source)
			assert.Equal(t, "特此告知。", RepairNotice(typicalRepairNoticeData()).Closing)
		})
	}
	assert.Error(t, useTexts(t, filepath.Join(t.TempDir(), "missing")), "a directory that does not exist")
}

// TestFailingOverrideFallsBack: a replaced text that passed validation but fails on some data does
// not stop a letter from being issued; the embedded wording is used.
func TestFailingOverrideFallsBack(t *testing.T) {
	dir := textsDir(t, map[string]string{"repair_notice.tmpl": embeddedText(t, KindRepairNotice,
		"{{define \"closing\"}}特此告知。{{end}}",
		"{{define \"closing\"}}{{if eq .ClassLabel \"严重\"}}{{index .Channels 5}}{{end}}特此通知。{{end}}")})
	require.NoError(t, useTexts(t, dir))
	data := typicalRepairNoticeData()
	assert.Equal(t, "特此通知。", RepairNotice(data).Closing)
	data.ClassLabel = "严重"
	assert.Equal(t, "特此告知。", RepairNotice(data).Closing)
}

// hearingData is the data of a kind that exists only as a text and a registration.
type hearingData struct {
	Issue
	EnterpriseName string
	HeldOn         time.Time
	Topics         []string
}

func TestNewKindIsATemplate(t *testing.T) {
	const kind Kind = "hearing_notice"
	registerForTest(t, kind, hearingData{})
	dir := textsDir(t, map[string]string{"hearing_notice.tmpl": `
{{define "letterhead"}}{{.Issuer}}{{end}}
{{define "title"}}听证告知书{{end}}
{{define "number"}}{{.Number}}{{end}}
{{define "addressee"}}{{.EnterpriseName}}{{end}}
{{define "paragraphs"}}
本机关定于{{date .HeldOn}}举行听证，听证事项如下：
{{range enumerate .Topics}}{{.}}
{{end}}
{{end}}
{{define "table"}}
序号|事项
{{range $i, $t := .Topics}}{{inc $i}}|{{$t}}
{{end}}
{{end}}
{{define "closing"}}特此告知。{{end}}
{{define "issuer"}}{{.Issuer}}{{end}}
`})
	require.NoError(t, useTexts(t, dir))
	assert.True(t, kind.Valid())
	assert.Equal(t, "听证告知书", DefaultTitle(kind))
	assert.Equal(t, kind, Kinds()[len(Kinds())-1])

	l, err := FromTemplate(kind, hearingData{
		Issue: issue(rareDept, "榕喆市监听〔2026〕1号"), EnterpriseName: rareEnterprise,
		HeldOn: day(2026, 6, 10), Topics: []string{"处罚事实", "陈述申辩"},
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"本机关定于2026年6月10日举行听证，听证事项如下：", "（一）处罚事实；", "（二）陈述申辩。"}, l.Paragraphs)
	assert.Equal(t, day(2026, 6, 1), l.Date)
	pdf, err := Render(l)
	require.NoError(t, err)
	assert.Contains(t, squeeze(extract(t, pdf, "-layout")), "听证告知书")

	// A registered kind must have a text once LoadTexts runs.
	registerForTest(t, "orphan_notice", nil)
	assert.ErrorContains(t, LoadTexts(), "orphan_notice")
	assert.Error(t, RegisterKind("Bad Kind", nil))
	assert.Error(t, RegisterKind(kind, RepairNoticeData{}), "a kind keeps its data type")
}

// TestMapDataKind: a kind added as a text alone takes a map; the date may be given as YYYY-MM-DD.
func TestMapDataKind(t *testing.T) {
	registerForTest(t, "plain_notice", nil)
	require.NoError(t, useTexts(t, textsDir(t, map[string]string{"plain_notice.tmpl": `
{{define "title"}}通知{{end}}
{{define "addressee"}}{{.To}}{{end}}
{{define "paragraphs"}}{{.Body}}{{end}}
{{define "facts"}}
缺失|{{.Missing}}
{{end}}
{{define "issuer"}}{{.From}}{{end}}`})))
	l, err := FromTemplate("plain_notice", map[string]any{
		"To": rareEnterprise, "Body": "正文。", "From": rareDept, "Date": "2026-06-01", "VerifyCode": "AC3D-EF4G-HJKM",
	})
	require.NoError(t, err)
	assert.Equal(t, Letter{
		Kind: "plain_notice", Title: "通知", Addressee: rareEnterprise, Paragraphs: []string{"正文。"},
		Facts: []Fact{{Label: "缺失"}}, Issuer: rareDept, Date: day(2026, 6, 1), VerifyCode: "AC3D-EF4G-HJKM",
	}, l)
}
