package e2e

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xinyong/storage"
)

const chromiumPath = "/usr/bin/chromium"

// newChromium starts headless Chromium; the test fails (not skips) without it, since page tests are part of the suite.
func newChromium(t *testing.T) context.Context {
	t.Helper()
	_, err := os.Stat(chromiumPath)
	require.NoError(t, err, "Chromium is missing: run `go run ./cmd/xinyong setup`")
	profile, err := os.MkdirTemp("", "xinyong-chromium-")
	require.NoError(t, err)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromiumPath), chromedp.NoSandbox,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(profile))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancel()
		cancelAlloc()
		_ = os.RemoveAll(profile)
	})
	require.NoError(t, chromedp.Run(ctx))
	return ctx
}

func browserLogin(base, login, password string) chromedp.Tasks {
	return chromedp.Tasks{
		chromedp.Navigate(base + "/login"),
		chromedp.WaitVisible("#login-form", chromedp.ByID),
		chromedp.SendKeys("#login", login, chromedp.ByID),
		chromedp.SendKeys("#password", password, chromedp.ByID),
		chromedp.Click("#submit", chromedp.ByID),
	}
}

// newDepartmentZJJ fills the admin's department form (open in the browser) for 镇江市住房和城乡建设局, submits it and
// reads the confirmation.
func newDepartmentZJJ(flash *string) chromedp.Tasks {
	return chromedp.Tasks{
		chromedp.SendKeys("#dept-id", "zjj", chromedp.ByID),
		chromedp.SendKeys("#dept-name", "住房和城乡建设局", chromedp.ByID),
		chromedp.SendKeys("#dept-full-name", "镇江市住房和城乡建设局", chromedp.ByID),
		chromedp.SendKeys("#dept-short-name", "住建局", chromedp.ByID),
		chromedp.SendKeys("#dept-doc-code", "镇建", chromedp.ByID),
		chromedp.SendKeys("#dept-contact", "镇江市住房和城乡建设局法规科 0511-80000009", chromedp.ByID),
		chromedp.Click("#create-department", chromedp.ByID),
		chromedp.WaitVisible(".flash", chromedp.ByQuery),
		chromedp.Text(".flash", flash, chromedp.ByQuery),
	}
}

func browserLogout() chromedp.Tasks {
	return chromedp.Tasks{chromedp.Click("#logout", chromedp.ByID), chromedp.WaitVisible("#login-form", chromedp.ByID)}
}

// TestBrowserNewDepartmentOfficerAndEnterpriseAccount is acceptance 1 of issue 15: the admin creates a department
// and an officer; the officer changes the temporary password at first login and registers a penalty for an
// enterprise without an account; the enterprise activates its account with the code printed on the notice,
// logs in and applies for repair.
func TestBrowserNewDepartmentOfficerAndEnterpriseAccount(t *testing.T) {
	s := newStack(t)
	ctx := newChromium(t)
	const uscc, name = "91321100MA1XYK7A09", "镇江新开张贸易有限公司"
	const officerPassword, enterprisePassword = "铁马冰河入梦来2026", "青山遮不住毕竟东流去"
	var flash, temporary string
	require.NoError(t, chromedp.Run(ctx,
		browserLogin(s.base, "admin", storage.DemoPassword),
		chromedp.WaitVisible("#home-title", chromedp.ByID),
		chromedp.Navigate(s.base+"/admin/departments"),
		chromedp.WaitVisible("#department-form", chromedp.ByID),
		newDepartmentZJJ(&flash),
		chromedp.Navigate(s.base+"/admin/users"),
		chromedp.WaitVisible("#user-form", chromedp.ByID),
		chromedp.SetValue("#role", "department", chromedp.ByID),
		chromedp.SendKeys("#new-login", "zj-wang", chromedp.ByID),
		chromedp.SendKeys("#display-name", "王建国", chromedp.ByID),
		chromedp.SetValue("#department", "zjj", chromedp.ByID),
		chromedp.Click("#create-user", chromedp.ByID),
		chromedp.WaitVisible("#temporary-password", chromedp.ByID),
		chromedp.Text("#temporary-password", &temporary, chromedp.ByID),
		browserLogout(),
	))
	assert.Contains(t, flash, "镇江市住房和城乡建设局")
	temporary = strings.TrimSpace(temporary)
	require.Len(t, temporary, 12)

	// First login: the password page before anything else.
	var forced, penaltyURL string
	require.NoError(t, chromedp.Run(ctx,
		browserLogin(s.base, "zj-wang", temporary),
		chromedp.WaitVisible("#forced", chromedp.ByID),
		chromedp.Text("#forced", &forced, chromedp.ByID),
		chromedp.SendKeys("#current-password", temporary, chromedp.ByID),
		chromedp.SendKeys("#new-password", officerPassword, chromedp.ByID),
		chromedp.SendKeys("#confirm-password", officerPassword, chromedp.ByID),
		chromedp.Click("#change-password", chromedp.ByID),
		chromedp.WaitVisible(".flash", chromedp.ByQuery),
		chromedp.Navigate(s.base+"/penalties/new"),
		chromedp.WaitVisible("#penalty-form", chromedp.ByID),
		chromedp.SendKeys(`[name="decision_no"]`, "镇建罚〔2026〕3号", chromedp.ByQuery),
		chromedp.SendKeys(`[name="uscc"]`, uscc, chromedp.ByQuery),
		chromedp.SendKeys(`[name="enterprise_name"]`, name, chromedp.ByQuery),
		chromedp.SetValue(`[name="decided_on"]`, "2026-05-20", chromedp.ByQuery),
		chromedp.Click(`[name="penalty_types"][value="fine"]`, chromedp.ByQuery),
		chromedp.SendKeys(`[name="fine_amount_yuan"]`, "30000", chromedp.ByQuery),
		chromedp.SendKeys(`[name="facts"]`, "未按规定办理施工许可", chromedp.ByQuery),
		chromedp.SendKeys(`[name="legal_basis"]`, "《建筑法》第六十四条", chromedp.ByQuery),
		chromedp.Click("#penalty-submit", chromedp.ByID),
		chromedp.Sleep(time.Second),
		chromedp.Location(&penaltyURL),
		browserLogout(),
	))
	assert.Contains(t, forced, "请先设置您自己的密码")
	m := regexp.MustCompile(`/penalties/(\d+)$`).FindStringSubmatch(penaltyURL)
	require.NotNil(t, m, "after registration the browser is at %s", penaltyURL)

	// The notice's PDF, read back as text, carries the code.
	var pen struct {
		Letters []struct {
			ID   int64  `json:"id"`
			Kind string `json:"kind"`
		} `json:"letters"`
	}
	officer := s.token("zj-wang")
	var noticeID int64
	s.eventually(30*time.Second, "the repair notice", func() bool {
		require.Equal(t, 200, s.call("GET", "/api/v1/penalties/"+m[1], officer, nil, &pen))
		for _, l := range pen.Letters {
			if l.Kind == "repair_notice" {
				noticeID = l.ID
			}
		}
		return noticeID != 0
	})
	pdf, code := s.get(fmt.Sprintf("/api/v1/letters/%d/pdf", noticeID), officer)
	require.Equal(t, 200, code)
	text := pdfText(t, pdf)
	cm := regexp.MustCompile(`激活码([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})`).FindStringSubmatch(text)
	require.NotNil(t, cm, "no activation code on the notice: %s", text)
	assert.Contains(t, text, "镇江市住房和城乡建设局")

	var activated, repairURL string
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Navigate(s.base+"/activate?uscc="+uscc),
		chromedp.WaitVisible("#activate-form", chromedp.ByID),
		chromedp.SendKeys("#code", cm[1], chromedp.ByID),
		chromedp.SendKeys("#password", enterprisePassword, chromedp.ByID),
		chromedp.SendKeys("#confirm-password", enterprisePassword, chromedp.ByID),
		chromedp.Click("#activate", chromedp.ByID),
		chromedp.WaitVisible("#activated", chromedp.ByID),
		chromedp.Text("#activated", &activated, chromedp.ByID),
		browserLogin(s.base, uscc, enterprisePassword),
		chromedp.WaitVisible("#home-title", chromedp.ByID),
		chromedp.Navigate(s.base+"/repairs/new?penalty_id="+m[1]),
		chromedp.WaitVisible("#repair-apply-form", chromedp.ByID),
		chromedp.Click(`[name="commitment_accepted"]`, chromedp.ByQuery),
		chromedp.Click("#repair-apply-submit", chromedp.ByID),
		chromedp.Sleep(2*time.Second),
		chromedp.Location(&repairURL),
	))
	assert.Contains(t, activated, uscc)
	require.Regexp(t, `/repairs/\d+$`, repairURL, "the application is filed")
}
