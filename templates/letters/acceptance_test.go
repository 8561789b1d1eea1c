package letters

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// realistic are letters as the workflows issue them in a typical case: the forms among them must fit one page.
func realistic() map[string]Letter {
	iss := Issue{Issuer: "镇江市市场监督管理局", Number: "镇市监信修补〔2026〕1号", Date: day(2026, 6, 1),
		VerifyCode: "AC3D-EF4G-HJKM", VerifyURL: "http://127.0.0.1:43567/verify/AC3D-EF4G-HJKM"}
	receipt := iss
	receipt.Number = ""
	app := ApplicationRef{EnterpriseName: "镇江堃元化工有限公司", USCC: "91321100MA1MXY2K09", ApplicationNo: "XYXF-2026-000012",
		ReceivedOn: day(2026, 5, 28)}
	return map[string]Letter{
		"delivery_receipt": DeliveryReceipt(DeliveryReceiptData{Issue: receipt, Recipient: app.EnterpriseName, USCC: app.USCC,
			Address: "镇江市京口区示例路2号",
			Documents: []ReceiptDocument{{Name: "行政处罚决定书", Number: "镇市监罚〔2026〕12号"},
				{Name: "信用修复告知书", Number: "镇市监信修告〔2026〕1号"}},
			Remarks: "行政处罚决定书与信用修复告知书同时送达（两书同送）。"}),
		"supplement_notice": SupplementNotice(SupplementNoticeData{Issue: iss, ApplicationRef: app,
			DecisionNo: "镇市监罚〔2026〕12号", Items: []string{"罚款缴纳凭证", "整改完成情况报告"}, DueOn: day(2026, 6, 10),
			SubmitVia: "信用修复协同平台（在本申请页面“补正材料”中提交）或市政务服务中心社会信用窗口（市信用办）",
			Contact:   "市场监督管理局信用监管科 0511-80000001"}),
		"repair_approved": RepairApproved(RepairDecisionData{Issue: iss, ApplicationRef: app, DecisionNo: "镇市监罚〔2026〕12号",
			RecordTitle: "行政处罚信息", Channels: channels, Reason: "经核实，你单位已缴清罚款200000元并完成整改"}),
		"objection_result": ObjectionResult(ObjectionResultData{Issue: iss, ApplicationRef: app, DecisionNo: "镇市监罚〔2026〕12号",
			Outcome: "corrected", Reason: "经核查，公示的罚款金额有误，予以更正", Corrections: "罚款金额由200000元更正为20000元"}),
	}
}

type pdfText struct {
	pages []string // pdftotext -layout, one entry per page
}

func readBack(t *testing.T, pdf []byte) pdfText {
	t.Helper()
	for _, tool := range []string{"pdftotext", "pdfinfo"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skip(tool + " (poppler-utils) not installed")
		}
	}
	path := filepath.Join(t.TempDir(), "letter.pdf")
	require.NoError(t, os.WriteFile(path, pdf, 0o600))
	info, err := exec.Command("pdfinfo", path).Output()
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)`).FindSubmatch(info)
	require.NotNil(t, m, "pdfinfo pages")
	n, _ := strconv.Atoi(string(m[1]))
	var out pdfText
	for p := 1; p <= n; p++ {
		txt, err := exec.Command("pdftotext", "-layout", "-enc", "UTF-8", "-f", strconv.Itoa(p), "-l", strconv.Itoa(p), path, "-").Output()
		require.NoError(t, err)
		out.pages = append(out.pages, string(txt))
	}
	return out
}

// bodyLines are a page's non-empty lines above the footer, trimmed.
func bodyLines(page string, l Letter) []string {
	var out []string
	for _, ln := range strings.Split(page, "\n") {
		ln = strings.TrimSpace(ln)
		if ln == "" || strings.Contains(ln, squeeze(verifyHint)) || strings.HasPrefix(ln, verifyLabel) ||
			strings.HasPrefix(ln, urlLabel) || pageNumber.MatchString(squeeze(ln)) {
			continue
		}
		out = append(out, ln)
	}
	return out
}

var (
	splitNumber = regexp.MustCompile(`[0-9]$`)
	numberTail  = regexp.MustCompile(`^[号元万年月日个〕]`)
	docNumber   = regexp.MustCompile(`〔\d{4}〕\d+号`)
)

// TestLettersReadBack reads every kind back with pdfinfo and pdftotext (issue 16, acceptance 2).
func TestLettersReadBack(t *testing.T) {
	all := map[string]Letter{}
	for k, l := range fixtures() {
		all["fixture/"+string(k)] = l
	}
	for k, l := range realistic() {
		all["typical/"+k] = l
	}
	for name, l := range all {
		t.Run(name, func(t *testing.T) {
			pdf, err := Render(l)
			require.NoError(t, err)
			got := readBack(t, pdf)
			if strings.HasPrefix(name, "typical/") && onePage[l.Kind] {
				assert.Len(t, got.pages, 1, "a %s is a one-page form", l.Title)
			}
			// The last page holds more than the closing block.
			last := bodyLines(got.pages[len(got.pages)-1], l)
			closing := map[string]bool{squeeze(l.Closing): true, sealHint: true, squeeze(l.Issuer): true, r(l): true}
			for _, s := range l.Signatures {
				closing[s+"："] = true
			}
			other := 0
			for _, ln := range last {
				if !closing[squeeze(ln)] {
					other++
				}
			}
			assert.Positive(t, other, "the last page holds only the closing block: %q", last)

			var lines []string
			for _, p := range got.pages {
				lines = append(lines, bodyLines(p, l)...)
			}
			text := strings.Join(lines, "\n")
			for _, id := range []string{"规则集", "samr-", "ndrc-", "national-"} {
				assert.NotContains(t, text, id, "no rule-set id")
			}
			for _, doubled := range []string{"经审核，经", "经核查，经", "经审查，经", "予以更正，本机关已对相关信息予以更正"} {
				assert.NotContains(t, squeeze(text), doubled)
			}
			for i := 1; i < len(lines); i++ {
				assert.False(t, splitNumber.MatchString(lines[i-1]) && numberTail.MatchString(lines[i]),
					"a number split across lines: %q / %q", lines[i-1], lines[i])
			}
			// Every document number the letter prints is whole on one line.
			var want []string
			l.texts(func(s string, _ bool) { want = append(want, docNumber.FindAllString(s, -1)...) })
			for _, n := range want {
				assert.Contains(t, text, n, "文号 %s split across lines", n)
			}
			if l.VerifyURL != "" {
				assert.Contains(t, got.pages[0], l.VerifyURL, "the URL is whole on one line")
			}
		})
	}
}

func r(l Letter) string { return squeeze(FormatDate(l.Date)) }
