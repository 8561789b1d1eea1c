package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xinyong/domain"
	"xinyong/storage"
)

// axeVersion is the axe-core release the page suite runs; `xinyong setup` installs the same one.
const axeVersion = "4.11.0"

// axeScript returns axe-core's browser bundle from the npm registry, kept in the user's cache folder
// (XINYONG_AXE_JS names another copy); it is installed with npm when missing.
func axeScript(t *testing.T) string {
	t.Helper()
	path := os.Getenv("XINYONG_AXE_JS")
	if path == "" {
		cache, err := os.UserCacheDir()
		require.NoError(t, err)
		dir := filepath.Join(cache, "xinyong", "axe-core-"+axeVersion)
		path = filepath.Join(dir, "node_modules", "axe-core", "axe.min.js")
		if _, err := os.Stat(path); err != nil {
			out, err := exec.Command("npm", "install", "--no-audit", "--no-fund", "--prefix", dir, "axe-core@"+axeVersion).CombinedOutput()
			require.NoError(t, err, "axe-core is missing and npm could not install it (run `go run ./cmd/xinyong setup`): %s", out)
		}
	}
	raw, err := os.ReadFile(path)
	require.NoError(t, err, "axe-core: run `go run ./cmd/xinyong setup`")
	return string(raw)
}

// screenshotDir is where the suite keeps its screenshots: XINYONG_TEST_OUTPUT, else .test-output at the top of the
// repository.
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("XINYONG_TEST_OUTPUT")
	if dir == "" {
		dir = filepath.Join("..", "..", ".test-output")
	}
	dir = filepath.Join(dir, "pages")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

// internalWords are English words of the vocabulary (statuses, kinds, causes, methods) and the demo's staff logins:
// none may reach a page's visible text.
var internalWords = []string{"fine", "warning", "confiscation", "minor", "general", "serious", "repairable", "pending",
	"confirmed", "submitted", "accepted", "verifying", "decided", "withdrawn", "revoked", "corrected", "upheld", "manual",
	"webhook", "publication", "penalty", "repair", "objection", "training", "withdrawal", "system", "enrolled",
	"waitlisted", "completed", "cancelled", "rectifying", "in_person", "electronic", "refused", "forbidden", "invalid",
	"scjgj", "sthjj", "yjglj", "office", "agency", "admin", "op-gsxt", "op-creditchina", "op-local", "op-dept", "op-thirdparty"}

var (
	// utcTime is a time a reader would have to convert: ISO 8601 with its T, a UTC or GMT suffix, a +00:00 offset.
	utcTime   = regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}|\bUTC\b|\bGMT\b|[+-]00:?00\b`)
	bjMinute  = regexp.MustCompile(`\d{4}-\d{2}-\d{2} \d{2}:\d{2}`)
	latinWord = regexp.MustCompile(`[A-Za-z][A-Za-z0-9_\-.]*`)
	codeWord  = regexp.MustCompile(`\b[a-z]+(?:_[a-z]+)+\b`)
	urlRe     = regexp.MustCompile(`https?://\S+`)
)

// latinAllowed: acronyms and units a page may show, codes (USCCs, verification codes) and the admin's own terms.
func latinAllowed(w string) bool {
	if strings.ToUpper(w) == w { // PDF, CSV, KB, USCCs and verification codes (upper case with digits)
		return true
	}
	switch w { // file names' extensions (缴款凭证.pdf)
	case "pdf", "jpg", "jpeg", "png", "csv", "json", "xlsx", "Excel":
		return true
	}
	if strings.ContainsAny(w, "0123456789") && strings.ToUpper(w) == w {
		return true
	}
	return false
}

// internalWordRe finds the words of internalWords in any case, as whole words.
var internalWordRe = regexp.MustCompile(`(?i)(?:^|[^A-Za-z0-9_-])(` + strings.Join(quoteAll(internalWords), "|") + `)(?:$|[^A-Za-z0-9_-])`)

func quoteAll(ws []string) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = regexp.QuoteMeta(w)
	}
	return out
}

// codeProblems lists what in a page's visible text is an internal code: words of the vocabulary and staff logins
// (in any case), snake_case tokens and other lower-case Latin words (names, codes and URLs are allowed).
func codeProblems(text string, allow map[string]bool) []string {
	text = urlRe.ReplaceAllString(text, " ")
	seen := map[string]bool{}
	for _, m := range internalWordRe.FindAllStringSubmatch(text, -1) {
		if !allow[m[1]] && !allow[strings.ToLower(m[1])] {
			seen[m[1]] = true
		}
	}
	for _, w := range codeWord.FindAllString(text, -1) {
		if !allow[w] {
			seen[w] = true
		}
	}
	for _, w := range latinWord.FindAllString(text, -1) {
		w = strings.TrimRight(w, ".-")
		if allow[w] || latinAllowed(w) {
			continue
		}
		seen[w] = true
	}
	var out []string
	for w := range seen {
		out = append(out, w)
	}
	sort.Strings(out)
	return out
}

// visibleText is the text a reader sees: rendered text nodes, except what the page marks as code on purpose
// (<code>, <pre>: a file format's column names, a protocol's fields).
const visibleText = `(() => {
  const out = [];
  const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let n;
  while ((n = w.nextNode())) {
    const p = n.parentElement;
    if (!p || p.closest("code, pre, script, style") || !p.checkVisibility()) { continue; }
    out.push(n.textContent);
  }
  return out.join(" ");
})()`

// pageVisit is one page of a role.
type pageVisit struct {
	login string // "" for a visitor
	path  string
	allow []string // Latin words this page may show (the admin's logins, department codes)
	// confirm lists forms of irreversible actions the page must show, each asking for confirmation.
	confirm []string
	// shownAt is a moment the page must show in Beijing time (the minute before or after also counts).
	shownAt time.Time
}

// unconfirmedForms lists the forms of irreversible actions (their button says so) that submit without asking.
const unconfirmedForms = `Array.from(document.querySelectorAll("form")).filter(f => {
  const b = f.querySelector("button[type=submit], button:not([type])");
  return b && /作出决定|撤销|撤回|结束培训|不予受理|不予修复/.test(b.textContent) && !f.getAttribute("data-confirm");
}).map(f => (f.id || f.getAttribute("action")) + ": " + f.querySelector("button").textContent.trim())`

// TestBrowserPagesOfEveryRole is acceptance 1 of issue 16 for the pages: every role's main pages and every form
// page, in Chromium at 1280 px and 390 px: no horizontal scrolling at 390 px, axe-core finds no serious or
// critical violation, the visible text has no internal code or staff login and only Beijing times, irreversible
// actions ask first; a screenshot of each is kept. Then a refused form shows its error next to the field, and a
// form that succeeds answers 303 to a page that a reload does not submit again.
func TestBrowserPagesOfEveryRole(t *testing.T) {
	s := newStack(t)
	a := storage.DemoEnterprises[1]
	p := s.registerGeneralFine("镇环罚〔2026〕91号", a, "2026-05-20")
	p2 := s.registerGeneralFine("镇环罚〔2026〕92号", a, "2026-06-18")
	code, up := s.uploadFile(s.token(a.USCC), "缴款凭证.pdf", e2ePDF)
	require.Equal(t, 201, code)
	var r repairAnswer
	applied := time.Now()
	require.Equal(t, 201, s.call("POST", "/api/v1/repairs", s.token(a.USCC), map[string]any{"penalty_id": p.ID, "commitment_accepted": true,
		"attachment_ids": []any{up["id"]}}, &r))
	var o objectionAnswer
	require.Equal(t, 201, s.call("POST", "/api/v1/objections", s.token(a.USCC), map[string]any{
		"penalty_id": p2.ID, "grounds": "duplicate", "statement": "该处罚已另行公示，本条重复公示", "commitment_accepted": true}, &o))
	tr := s.planTraining(s.token("office"), time.Now().Add(10*24*time.Hour), 50)

	visits := []pageVisit{
		{login: "", path: "/login"}, {login: "", path: "/activate"}, {login: "", path: "/verify"},
		{login: a.USCC, path: "/"}, {login: a.USCC, path: "/penalties"}, {login: a.USCC, path: fmt.Sprintf("/repairs/new?penalty_id=%d", p2.ID)},
		{login: a.USCC, path: fmt.Sprintf("/repairs/%d", r.ID), confirm: []string{"form-withdraw"}, shownAt: applied},
		{login: a.USCC, path: "/objections/new"}, {login: a.USCC, path: fmt.Sprintf("/objections/%d", o.ID)},
		{login: a.USCC, path: fmt.Sprintf("/trainings/%d", tr.ID)}, {login: a.USCC, path: "/me/password"},
		{login: "sthjj", path: "/"}, {login: "sthjj", path: "/penalties/new"},
		{login: "sthjj", path: fmt.Sprintf("/penalties/%d", p.ID), confirm: []string{"revocation-form"}},
		{login: "sthjj", path: "/penalties/import"}, {login: "sthjj", path: fmt.Sprintf("/repairs/%d", r.ID)},
		{login: "sthjj", path: fmt.Sprintf("/objections/%d", o.ID)},
		{login: "office", path: "/"}, {login: "office", path: "/trainings/new"}, {login: "office", path: fmt.Sprintf("/trainings/%d", tr.ID)},
		{login: "office", path: "/channels"}, {login: "office", path: "/channels/gsxt"},
		{login: "office", path: "/enterprise-accounts/activation-codes"}, {login: "office", path: "/withdrawals"},
		{login: "office", path: "/window/enterprises/" + a.USCC},
		{login: "office", path: fmt.Sprintf("/window/objections/new?uscc=%s&penalty_id=%d", a.USCC, p.ID)},
		{login: "agency", path: "/"}, {login: "agency", path: fmt.Sprintf("/trainings/%d", tr.ID)},
		{login: "op-gsxt", path: "/"}, {login: "op-gsxt", path: "/channels/queue"},
		{login: "admin", path: "/"}, {login: "admin", path: "/admin/departments", allow: []string{"scjgj", "sthjj", "yjglj", "zjj"}},
		{login: "admin", path: "/admin/calendar"},
	}
	adminLogins := []string{}
	for _, u := range storage.DemoUsers() {
		adminLogins = append(adminLogins, u.Login)
	}
	visits = append(visits, pageVisit{login: "admin", path: "/admin/users", allow: append(adminLogins, "zj-chen")},
		pageVisit{login: "admin", path: "/admin/tokens", allow: append(adminLogins, "e2e")}) // e2e: the harness's token name

	axe := axeScript(t)
	dir := screenshotDir(t)
	ctx := newChromium(t)
	current := "-"
	for _, v := range visits {
		if v.login != current {
			if current != "-" && current != "" {
				require.NoError(t, chromedp.Run(ctx, browserLogout()))
			}
			if v.login != "" {
				require.NoError(t, chromedp.Run(ctx, browserLogin(s.base, v.login, storage.DemoPassword),
					chromedp.WaitVisible("#home-title", chromedp.ByID)), v.login)
			}
			current = v.login
		}
		allow := map[string]bool{}
		for _, w := range v.allow {
			allow[w] = true
		}
		who := v.login
		if who == "" {
			who = "visitor"
		}
		for _, width := range []int64{1280, 390} {
			name := fmt.Sprintf("%s %s @%d", who, v.path, width)
			var overflow int
			var text string
			var violations, unconfirmed, confirmed []string
			var png []byte
			err := chromedp.Run(ctx,
				chromedp.EmulateViewport(width, 900),
				chromedp.Navigate(s.base+v.path),
				chromedp.WaitReady("body", chromedp.ByQuery),
				chromedp.Evaluate(`document.documentElement.scrollWidth - document.documentElement.clientWidth`, &overflow),
				chromedp.Evaluate(visibleText, &text),
				chromedp.Evaluate(unconfirmedForms, &unconfirmed),
				chromedp.Evaluate(`Array.from(document.querySelectorAll("form[data-confirm]")).map(f => f.id)`, &confirmed),
				chromedp.Evaluate(axe, nil),
				chromedp.Evaluate(`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21aa"]}, resultTypes: ["violations"]})
					.then(r => r.violations.filter(v => v.impact === "serious" || v.impact === "critical")
					.map(v => v.impact + " " + v.id + ": " + v.help + " @ " + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(" | ")))`,
					&violations, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }),
				chromedp.FullScreenshot(&png, 100),
			)
			require.NoError(t, err, name)
			file := strings.NewReplacer("/", "_", "?", "_", "=", "_", "&", "_", " ", "").Replace(fmt.Sprintf("%s%s-%d.png", who, v.path, width))
			require.NoError(t, os.WriteFile(filepath.Join(dir, file), png, 0o644))
			assert.Empty(t, violations, "%s: axe-core serious or critical violations", name)
			if width == 390 {
				assert.LessOrEqual(t, overflow, 0, "%s: the page scrolls sideways on a phone", name)
			}
			assert.NotContains(t, text, "页面不存在", name)
			if width == 1280 {
				assert.Empty(t, codeProblems(text, allow), "%s: internal codes or English words in the visible text", name)
				assert.Empty(t, utcTime.FindAllString(text, -1), "%s: times not in Beijing time", name)
				assert.Empty(t, unconfirmed, "%s: irreversible actions that do not ask for confirmation", name)
				for _, f := range v.confirm {
					assert.Contains(t, confirmed, f, "%s: the form %s asks for confirmation", name, f)
				}
				if !v.shownAt.IsZero() {
					assert.True(t, showsMinute(text, v.shownAt), "%s: shows %s in Beijing time: %v", name,
						v.shownAt.In(domain.Shanghai).Format("2006-01-02 15:04"), bjMinute.FindAllString(text, -1))
				}
			}
		}
	}
	t.Logf("screenshots in %s", dir)
	formsAnswerLikeAPage(t, ctx, s)
}

// showsMinute tells whether text shows t's minute in Beijing time (or the minute next to it).
func showsMinute(text string, t time.Time) bool {
	for _, m := range bjMinute.FindAllString(text, -1) {
		at, err := time.ParseInLocation("2006-01-02 15:04", m, domain.Shanghai)
		if err == nil && at.Sub(t.Truncate(time.Minute)).Abs() <= time.Minute {
			return true
		}
	}
	return false
}

// formsAnswerLikeAPage: a refused form shows its error next to the field it concerns, and a form that succeeds
// answers 303 to the result page, which a reload shows again without submitting the form a second time.
func formsAnswerLikeAPage(t *testing.T, ctx context.Context, s *stack) {
	require.NoError(t, chromedp.Run(ctx, network.Enable()))
	var mu sync.Mutex
	var redirects []string
	var posts int
	chromedp.ListenTarget(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			defer mu.Unlock()
			if e.Request.Method == "POST" && strings.HasSuffix(e.Request.URL, "/admin/departments") {
				posts++
			}
			if e.RedirectResponse != nil && e.RedirectResponse.Status == 303 {
				redirects = append(redirects, e.RedirectResponse.URL+" -> "+e.Request.URL)
			}
		}
	})

	// The admin (logged in last) mistypes the new password's confirmation: the message stands at that field.
	var fieldError, invalid, loc string
	require.NoError(t, chromedp.Run(ctx,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(s.base+"/me/password"),
		chromedp.WaitVisible("#password-form", chromedp.ByID),
		chromedp.SendKeys("#current-password", storage.DemoPassword, chromedp.ByID),
		chromedp.SendKeys("#new-password", "青山遮不住毕竟东流去", chromedp.ByID),
		chromedp.SendKeys("#confirm-password", "青山遮不住毕竟东流去了", chromedp.ByID),
		chromedp.Click("#change-password", chromedp.ByID),
		chromedp.WaitVisible(".field-error", chromedp.ByQuery),
		chromedp.Evaluate(`(document.querySelector("#confirm-password").closest("label").querySelector(".field-error") || {}).textContent || ""`, &fieldError),
		chromedp.Evaluate(`document.querySelector("#confirm-password").getAttribute("aria-invalid") || ""`, &invalid),
	))
	assert.Contains(t, fieldError, "两次输入的新密码不一致", "the error stands next to the confirmation field")
	assert.Equal(t, "true", invalid)

	// A new department: 303 to the list, whose reload does not register it again.
	var flash string
	var before, after int
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Navigate(s.base+"/admin/departments"),
		chromedp.WaitVisible("#department-form", chromedp.ByID),
		chromedp.Evaluate(`document.querySelectorAll("#department-list tbody tr").length`, &before),
		newDepartmentZJJ(&flash),
		chromedp.Location(&loc),
		chromedp.Reload(),
		chromedp.WaitVisible("#department-form", chromedp.ByID),
		chromedp.Evaluate(`document.querySelectorAll("#department-list tbody tr").length`, &after),
	))
	assert.Contains(t, flash, "镇江市住房和城乡建设局")
	assert.Equal(t, s.base+"/admin/departments", loc)
	assert.Equal(t, before+1, after, "the reload shows the list and registers nothing")
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, 1, posts, "the form was posted once")
	assert.Contains(t, redirects, s.base+"/admin/departments -> "+s.base+"/admin/departments", "the POST answered 303")
}
