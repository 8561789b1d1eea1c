package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xinyong/activities"
	"xinyong/storage"
	"xinyong/templates/letters"
)

// issueTestLetter stores a real repair notice for enterprise 0, decided by scjgj.
func issueTestLetter(t *testing.T, e *testEnv) activities.LetterRef {
	t.Helper()
	ent := storage.DemoEnterprises[0]
	a := &activities.Activities{DB: e.db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), BaseURL: "http://example.test"}
	day := time.Date(2026, 5, 6, 0, 0, 0, 0, time.UTC)
	ref, err := a.IssueLetter(context.Background(), activities.IssueLetterInput{
		CaseKind: "penalty", CaseID: "77", USCC: ent.USCC, DepartmentID: "scjgj",
		Letter: letters.RepairNotice(letters.RepairNoticeData{
			Issue:          letters.Issue{Issuer: "市场监督管理局", Number: "市监信告〔2026〕77号", Date: day},
			EnterpriseName: ent.Name, USCC: ent.USCC, DecisionNo: "市监罚〔2026〕77号", DecidedOn: day, ClassLabel: "一般",
			Channels: []string{"信用中国", "国家企业信用信息公示系统"}, PublicationMin: "3个月", PublicationMax: "1年",
			PublicationEnds: day.AddDate(1, 0, 0), RepairEligibleFrom: day.AddDate(0, 3, 0),
			ApplyOnline: "信用中国（镇江）网站", ApplyWindow: "市政务服务中心信用窗口", Contact: "0511-80000001",
		}),
	})
	require.NoError(t, err)
	// A retried activity stores nothing new and returns the first letter.
	again, err := a.IssueLetter(context.Background(), activities.IssueLetterInput{CaseKind: "penalty", CaseID: "77", USCC: ent.USCC, DepartmentID: "scjgj",
		Letter: letters.Letter{Kind: letters.KindRepairNotice, Issuer: "x", Addressee: "y", Paragraphs: []string{"z"}, Date: day}})
	require.NoError(t, err)
	require.Equal(t, ref, again)
	return ref
}

func TestLetterVisibilityAndVerification(t *testing.T) {
	e := newTestEnv(t)
	ref := issueTestLetter(t, e)
	path := "/api/v1/letters/" + strconv.FormatInt(ref.ID, 10)

	for login, want := range map[string]int{
		storage.DemoEnterprises[0].USCC: 200, storage.DemoEnterprises[1].USCC: 404,
		"scjgj": 200, "sthjj": 404, "office": 200, "op-gsxt": 404,
	} {
		resp := e.do("GET", path, e.token(login), nil)
		assert.Equal(t, want, resp.StatusCode, login)
		resp = e.do("GET", path+"/pdf", e.token(login), nil)
		assert.Equal(t, want, resp.StatusCode, login+" pdf")
	}
	requireError(t, e.do("GET", path, "", nil), 401, "unauthorized")

	meta := decode[map[string]any](t, e.do("GET", path, e.token("office"), nil))
	assert.Equal(t, "repair_notice", meta["kind"])
	assert.Equal(t, ref.SHA256, meta["sha256"])
	resp := e.do("GET", path+"/pdf", e.token("office"), nil)
	require.Equal(t, "application/pdf", resp.Header.Get("Content-Type"))
	pdf, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	sum := sha256.Sum256(pdf)
	assert.Equal(t, ref.SHA256, hex.EncodeToString(sum[:]), "the served PDF is the one whose digest was recorded")

	// The PDF opens: page 1 renders to a PNG.
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "l.pdf"), pdf, 0o600))
	out, err := exec.Command("pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", filepath.Join(dir, "l.pdf"), filepath.Join(dir, "p")).CombinedOutput()
	require.NoError(t, err, string(out))
	pngs, _ := filepath.Glob(filepath.Join(dir, "p*.png"))
	require.Len(t, pngs, 1)

	// The public verification page needs no login and shows what the holder must compare.
	_, page := e.browser().get("/verify/" + ref.VerifyCode)
	for _, want := range []string{"核验通过", "信用修复告知书", "市场监督管理局", storage.DemoEnterprises[0].Name, "2026-05-06", ref.SHA256} {
		assert.Contains(t, page, want)
	}
	resp, page = e.browser().get("/verify/ABCD-EFGH-JKLM")
	assert.Equal(t, 404, resp.StatusCode)
	assert.Contains(t, page, "未找到")
	assert.Contains(t, page, `name="code"`, "a code not found can be typed again")

	// A code typed in lower case or without dashes finds the letter (issue 16, acceptance 3).
	for _, typed := range []string{strings.ToLower(ref.VerifyCode), strings.ReplaceAll(ref.VerifyCode, "-", ""),
		" " + strings.ToLower(strings.ReplaceAll(ref.VerifyCode, "-", ""))} {
		resp, page = e.browser().get("/verify/" + url.PathEscape(typed))
		assert.Equal(t, 200, resp.StatusCode, typed)
		assert.Contains(t, page, "核验通过", typed)
	}
	resp, _ = e.browser().get("/favicon.ico")
	assert.Equal(t, 200, resp.StatusCode, "browsers ask for /favicon.ico on their own")
	assert.Equal(t, "image/svg+xml", resp.Header.Get("Content-Type"))
	// /verify alone shows a form; the form's answer leads to the letter's page.
	resp, page = e.browser().get("/verify")
	assert.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, page, `<form method="get" action="/verify"`)
	assert.NotContains(t, page, "未找到")
	resp, _ = e.browser().get("/verify?code=" + strings.ToLower(strings.ReplaceAll(ref.VerifyCode, "-", "")))
	assert.Contains(t, []int{200, 303}, resp.StatusCode)
}

// TestWithdrawalNoticeVerificationNamesTheRecord: a 告知函 is addressed to the channels; its verification page says
// which enterprise's record and which decision it concerns.
func TestWithdrawalNoticeVerificationNamesTheRecord(t *testing.T) {
	e := newTestEnv(t)
	ent := storage.DemoEnterprises[0]
	a := &activities.Activities{DB: e.db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), BaseURL: "http://example.test"}
	d := letters.WithdrawalNoticeData{Issue: letters.Issue{Issuer: activities.CreditOfficeIssuer, Number: "信用办撤〔2026〕5号",
		Date: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)}, EnterpriseName: ent.Name, USCC: ent.USCC, RecordTitle: "行政处罚信息",
		DecisionNo: "镇市监罚〔2026〕12号", Channels: []letters.ChannelLine{{Name: "信用中国", Kind: "国家平台"}}}
	ref, err := a.IssueLetter(context.Background(), activities.IssueLetterInput{CaseKind: "withdrawal", CaseID: "5", Version: 1,
		USCC: ent.USCC, DepartmentID: "scjgj", Content: &letters.Content{Kind: letters.KindWithdrawalNotice, Data: d}, Data: d})
	require.NoError(t, err)
	resp, page := e.browser().get("/verify/" + ref.VerifyCode)
	require.Equal(t, 200, resp.StatusCode)
	for _, want := range []string{"所涉信息", ent.Name, "镇市监罚〔2026〕12号", activities.CreditOfficeLetterName, "镇信用办撤〔2026〕1号"} {
		assert.Contains(t, page, want)
	}
}

func TestVerificationIsRateLimited(t *testing.T) {
	e := newTestEnv(t)
	b := e.browser()
	limited := false
	for i := 0; i < 40 && !limited; i++ {
		resp, _ := b.get("/verify/ZZZZ-ZZZZ-ZZ" + strconv.Itoa(i))
		limited = resp.StatusCode == 429
	}
	assert.True(t, limited, "guessing codes is throttled")
}
