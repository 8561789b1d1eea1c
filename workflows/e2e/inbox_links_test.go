package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xinyong/domain"
	"xinyong/storage"
)

var (
	csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)
	inboxLink = regexp.MustCompile(`<a href="(/[^"]+)">查看</a>`)
)

// pageClient logs a demo user in through the login form and keeps the session cookie.
func (s *stack) pageClient(login string) *http.Client {
	s.t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(s.t, err)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(s.base + "/login")
	require.NoError(s.t, err)
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfField.FindStringSubmatch(string(raw))
	require.NotNil(s.t, m)
	resp, err = c.PostForm(s.base+"/login", url.Values{"_csrf": {m[1]}, "login": {login}, "password": {storage.DemoPassword}})
	require.NoError(s.t, err)
	resp.Body.Close()
	require.Equal(s.t, 200, resp.StatusCode, "login of %s", login)
	return c
}

func (s *stack) page(c *http.Client, path string) (int, string) {
	s.t.Helper()
	req, err := http.NewRequest("GET", s.base+path, nil)
	require.NoError(s.t, err)
	req.Header.Set("Accept", "text/html")
	resp, err := c.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// TestEveryInboxLinkOpensForItsViewer is acceptance 6 (second half) of issue 15: with open work of every kind in
// the inboxes, every demo login follows every link of its home page and gets the page, never 403 or 404.
func TestEveryInboxLinkOpensForItsViewer(t *testing.T) {
	s := newStack(t)
	a := storage.DemoEnterprises[1]
	p := s.registerGeneralFine("镇环罚〔2026〕71号", a, "2026-05-20")
	code, up := s.uploadFile(s.token(a.USCC), "凭证.pdf", e2ePDF)
	require.Equal(t, 201, code)
	var r repairAnswer
	require.Equal(t, 201, s.call("POST", "/api/v1/repairs", s.token(a.USCC), map[string]any{"penalty_id": p.ID, "commitment_accepted": true,
		"attachment_ids": []any{up["id"]}}, &r))
	// A channel late on the publication escalates to the credit office (as the publication workflow does).
	require.NoError(t, s.db.OpenTask(context.Background(), storage.Task{CaseKind: "publication", CaseID: fmt.Sprint(p.ID),
		Step: "escalation:publish:gsxt", Title: "公示渠道逾期未公示：国家企业信用信息公示系统", AssigneeRole: domain.RoleCreditOffice}))
	s.eventually(60*time.Second, "publication tasks for the operators", func() bool {
		var n int
		require.NoError(t, s.db.Get(&n, `SELECT count(*) FROM tasks WHERE case_kind = 'publication' AND assignee_role = 'channel_operator' AND status = 'open'`))
		return n > 0
	})

	followed := 0
	for _, u := range storage.DemoUsers() {
		c := s.pageClient(u.Login)
		status, home := s.page(c, "/")
		require.Equal(t, 200, status, u.Login)
		for _, m := range inboxLink.FindAllStringSubmatch(home, -1) {
			href := strings.ReplaceAll(m[1], "&amp;", "&")
			status, _ := s.page(c, href)
			assert.Equal(t, 200, status, "%s following %s", u.Login, href)
			followed++
		}
	}
	assert.Greater(t, followed, 5, "the inboxes had work to follow")
}
