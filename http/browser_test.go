package httpapi

import (
	"context"
	"net"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xinyong/domain"
	"xinyong/storage"
)

// chromiumPath is Debian's Chromium, installed by `xinyong setup`.
const chromiumPath = "/usr/bin/chromium"

// newBrowser starts headless Chromium; the test fails (not skips) without it, since page tests are part of the suite.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	_, err := os.Stat(chromiumPath)
	require.NoError(t, err, "Chromium is missing: run `go run ./cmd/xinyong setup`")
	// Not t.TempDir: Chromium may still write its profile while the test ends, which would fail the cleanup.
	profile, err := os.MkdirTemp("", "xinyong-chromium-")
	require.NoError(t, err)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.NoSandbox,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(profile),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancel()
		cancelAlloc() // waits for the browser process to exit
		_ = os.RemoveAll(profile)
	})
	require.NoError(t, chromedp.Run(ctx))
	return ctx
}

// serve starts the app on a free local port and returns its base URL.
func (e *testEnv) serve() string {
	e.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(e.t, err)
	go func() { _ = e.srv.App().Listener(ln) }()
	e.t.Cleanup(func() { _ = e.srv.App().Shutdown() })
	return "http://" + ln.Addr().String()
}

func TestBrowserLoginHomeLogoutForEveryRole(t *testing.T) {
	e := newTestEnv(t)
	base := e.serve()
	ctx := newBrowser(t)
	logins := map[domain.Role]string{}
	for _, u := range storage.DemoUsers() {
		if _, ok := logins[u.Role]; !ok {
			logins[u.Role] = u.Login
		}
	}
	for _, role := range domain.Roles {
		login := logins[role]
		t.Run(string(role), func(t *testing.T) {
			var heading, who, title string
			err := chromedp.Run(ctx,
				chromedp.Navigate(base+"/"),
				chromedp.WaitVisible("#login-form", chromedp.ByID),
				chromedp.SendKeys("#login", login, chromedp.ByID),
				chromedp.SendKeys("#password", storage.DemoPassword, chromedp.ByID),
				chromedp.Click("#submit", chromedp.ByID),
				chromedp.WaitVisible("#home-title", chromedp.ByID),
				chromedp.Text("#home-title", &heading, chromedp.ByID),
				chromedp.Text("#whoami", &who, chromedp.ByID),
				chromedp.Title(&title),
			)
			require.NoError(t, err)
			assert.Equal(t, homeHeadings[role][0], heading)
			assert.Contains(t, who, role.Label())
			assert.Contains(t, title, "信用修复协同平台")

			var afterLogout string
			err = chromedp.Run(ctx,
				chromedp.Click("#logout", chromedp.ByID),
				chromedp.WaitVisible("#login-form", chromedp.ByID),
				chromedp.Navigate(base+"/"),
				chromedp.WaitVisible("#login-form", chromedp.ByID),
				chromedp.Location(&afterLogout),
			)
			require.NoError(t, err)
			assert.Contains(t, afterLogout, "/login", "the session is gone after logout")
		})
	}
}

func TestBrowserWrongPasswordShowsChineseError(t *testing.T) {
	e := newTestEnv(t)
	base := e.serve()
	ctx := newBrowser(t)
	var problem string
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys("#login", "office", chromedp.ByID),
		chromedp.SendKeys("#password", "wrong", chromedp.ByID),
		chromedp.Click("#submit", chromedp.ByID),
		chromedp.WaitVisible("#problem", chromedp.ByID),
		chromedp.Text("#problem", &problem, chromedp.ByID),
	))
	assert.Equal(t, "用户名或密码错误", problem)
}
