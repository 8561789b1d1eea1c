package httpapi

import (
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xinyong/domain"
	"xinyong/storage"
)

// TestBrowserIrreversibleActionsAskFirst: registering a revocation asks for confirmation; declining leaves the page
// and the record as they were (issue 16).
func TestBrowserIrreversibleActionsAskFirst(t *testing.T) {
	e, _ := newPenaltyEnv(t)
	base := e.serve()
	ctx := newBrowser(t)
	pid := e.registerFine("sthjj", "镇环罚〔2026〕77号", storage.DemoEnterprises[1], "2026-05-20")
	var asked atomic.Value
	chromedp.ListenTarget(ctx, func(ev any) {
		if d, ok := ev.(*cdppage.EventJavascriptDialogOpening); ok {
			asked.Store(d.Message)
			go func() { _ = chromedp.Run(ctx, cdppage.HandleJavaScriptDialog(false)) }()
		}
	})
	path := "/penalties/" + strconv.FormatInt(pid, 10)
	var loc string
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys("#login", "sthjj", chromedp.ByID),
		chromedp.SendKeys("#password", storage.DemoPassword, chromedp.ByID),
		chromedp.Click("#submit", chromedp.ByID),
		chromedp.WaitVisible("#home-title", chromedp.ByID),
		chromedp.Navigate(base+path),
		chromedp.WaitVisible("#revocation-form", chromedp.ByID),
		chromedp.SendKeys(`#revocation-form textarea[name="reason"]`, "行政复议决定撤销原处罚决定", chromedp.ByQuery),
		chromedp.Click("#revocation-submit", chromedp.ByID),
		chromedp.Sleep(700*time.Millisecond),
		chromedp.Location(&loc),
	))
	msg, _ := asked.Load().(string)
	assert.Contains(t, msg, "确定继续吗", "the browser asked before submitting")
	assert.Equal(t, base+path, loc, "declined: nothing was submitted")
	p, err := e.db.GetPenalty(t.Context(), pid)
	require.NoError(t, err)
	assert.NotEqualValues(t, domain.PenaltyRevoked, p.Status)
}
