package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xinyong/domain"
	"xinyong/storage"
)

// TestBrowserWalkInWindow: at the single window (一窗受理) the credit office finds the enterprise by name, takes its
// repair application with the scanned signed commitment and a material, and prints the receipt; the application
// is an ordinary case the department has and the enterprise sees online with the window's materials.
func TestBrowserWalkInWindow(t *testing.T) {
	s := newStack(t)
	ctx := newChromium(t)
	a := storage.DemoEnterprises[3]
	sthjj, firm := s.token("sthjj"), s.token(a.USCC)
	p := s.registerGeneralFine("镇环罚〔2026〕62号", a, "2026-05-20")
	require.Equal(t, 200, s.call("POST", fmt.Sprintf("/api/v1/penalties/%d/delivery", p.ID), sthjj,
		map[string]any{"method": "in_person", "delivered_on": "2026-05-22", "signed_by": "李昇"}, nil))

	dir := t.TempDir()
	commitment, material := filepath.Join(dir, "信用承诺书（签章）.pdf"), filepath.Join(dir, "罚款缴纳凭证.pdf")
	require.NoError(t, os.WriteFile(commitment, e2ePDF, 0o600))
	require.NoError(t, os.WriteFile(material, e2ePDF, 0o600))

	var results, records, receipt, receiptNo, location string
	require.NoError(t, chromedp.Run(ctx,
		browserLogin(s.base, "office", storage.DemoPassword),
		chromedp.WaitVisible("#home-title", chromedp.ByID),
		chromedp.Click(`nav a[href="/window"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#window-search", chromedp.ByID),
		chromedp.SendKeys("#window-q", a.Name, chromedp.ByID),
		chromedp.Click("#window-find", chromedp.ByID),
		chromedp.WaitVisible("#window-results", chromedp.ByID),
		chromedp.Text("#window-results", &results, chromedp.ByID),
		chromedp.Click(".window-pick", chromedp.ByQuery),
		chromedp.WaitVisible("#window-records", chromedp.ByID),
		chromedp.Text("#window-records", &records, chromedp.ByID),
		chromedp.Click("#window-apply-"+strconv.FormatInt(p.ID, 10), chromedp.ByID),
		chromedp.WaitVisible("#window-repair-form", chromedp.ByID),
		chromedp.Click("#commitment-signed", chromedp.ByID),
		chromedp.SetUploadFiles("#commitment-file", []string{commitment}, chromedp.ByID),
		chromedp.SetUploadFiles("#material-files", []string{material}, chromedp.ByID),
		chromedp.SendKeys("#window-statement", "窗口受理：罚款已缴清", chromedp.ByID),
		chromedp.Click("#window-repair-submit", chromedp.ByID),
		chromedp.WaitVisible("#window-receipt", chromedp.ByID),
		chromedp.Text("#window-receipt", &receipt, chromedp.ByID),
		chromedp.Text("#receipt-no", &receiptNo, chromedp.ByID),
		chromedp.Location(&location),
	))
	assert.Contains(t, results, a.USCC)
	assert.Contains(t, records, "镇环罚〔2026〕62号")
	m := regexp.MustCompile(`/window/receipts/repairs/(\d+)$`).FindStringSubmatch(location)
	require.NotNil(t, m, "after the POST the browser is at the receipt (redirect): %s", location)
	assert.Contains(t, receipt, "信用修复申请受理回执")
	assert.Contains(t, receipt, a.Name)
	assert.Contains(t, receipt, "信用承诺书（签章）.pdf")
	assert.Contains(t, receipt, "罚款缴纳凭证.pdf")
	assert.Regexp(t, `\d{4}-\d{2}-\d{2} \d{2}:\d{2}`, receipt, "Beijing time of the registration")
	assert.NotEmpty(t, receiptNo)

	// An ordinary case: the enterprise sees it with the window's materials, the department accepts it.
	id, err := strconv.ParseInt(m[1], 10, 64)
	require.NoError(t, err)
	seen := s.repair(id, firm)
	assert.Equal(t, p.ID, seen.PenaltyID)
	var full struct {
		Attachments []struct {
			Filename string `json:"filename"`
		} `json:"attachments"`
	}
	require.Equal(t, 200, s.call("GET", fmt.Sprintf("/api/v1/repairs/%d", id), firm, nil, &full))
	assert.Len(t, full.Attachments, 2)
	var r repairAnswer
	require.Equal(t, 200, s.call("POST", fmt.Sprintf("/api/v1/repairs/%d/accept", id), sthjj, nil, &r))
	assert.EqualValues(t, domain.RepairVerifying, r.Status)

	// The record now has its open application: the window page links to it instead of offering a second one.
	var again string
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Navigate(s.base+"/window/enterprises/"+a.USCC),
		chromedp.WaitVisible("#window-records", chromedp.ByID),
		chromedp.Text("#window-records", &again, chromedp.ByID),
	))
	assert.Contains(t, again, "查看正在办理的申请")

	// The same enterprise objects to the record's content at the window: the office enters it on its behalf with
	// the signed paper commitment; it is filed like an online objection and the enterprise sees it.
	var objReceipt string
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Click("#window-object-"+strconv.FormatInt(p.ID, 10), chromedp.ByID),
		chromedp.WaitVisible("#window-objection-form", chromedp.ByID),
		chromedp.SetValue("#window-grounds", "wrong_content", chromedp.ByID),
		chromedp.SendKeys("#window-objection-statement", "窗口受理：决定书所载罚款金额与登记的不一致", chromedp.ByID),
		chromedp.Click("#objection-commitment-signed", chromedp.ByID),
		chromedp.SetUploadFiles("#objection-commitment-file", []string{commitment}, chromedp.ByID),
		chromedp.Click("#window-objection-submit", chromedp.ByID),
		chromedp.WaitVisible("#window-receipt", chromedp.ByID),
		chromedp.Text("#window-receipt", &objReceipt, chromedp.ByID),
		chromedp.Location(&location),
	))
	assert.Contains(t, objReceipt, "异议申请受理回执")
	assert.Contains(t, objReceipt, "镇环罚〔2026〕62号")
	m = regexp.MustCompile(`/window/receipts/objections/(\d+)$`).FindStringSubmatch(location)
	require.NotNil(t, m, "after the POST the browser is at the objection's receipt: %s", location)
	var o struct {
		FiledByRole string `json:"filed_by_role"`
		Grounds     string `json:"grounds"`
	}
	require.Equal(t, 200, s.call("GET", "/api/v1/objections/"+m[1], firm, nil, &o), "the enterprise sees it")
	assert.Equal(t, "credit_office", o.FiledByRole)
	assert.Equal(t, "wrong_content", o.Grounds)
}
