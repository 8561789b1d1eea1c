package httpapi

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"xinyong/egress"
	"xinyong/storage"
	"xinyong/storage/pgtest"
)

// testEnv is a server on a fresh migrated database with the demo data.
type testEnv struct {
	t   *testing.T
	db  *storage.DB
	srv *Server
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	db := pgtest.New(t)
	require.NoError(t, db.SeedDemo(context.Background()))
	srv := New(db, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), Config{ChannelEgress: egress.MustParse("127.0.0.1")}) // test channels listen on loopback
	return &testEnv{t: t, db: db, srv: srv}
}

// token issues a bearer token for a demo login.
func (e *testEnv) token(login string) string {
	e.t.Helper()
	u, err := e.db.UserByLogin(context.Background(), login)
	require.NoError(e.t, err)
	tok, _, err := e.db.CreateToken(context.Background(), u.ID, "test")
	require.NoError(e.t, err)
	return tok
}

// do sends a request; body may be nil, a string or a value to marshal as JSON.
func (e *testEnv) do(method, path, token string, body any, headers ...string) *http.Response {
	e.t.Helper()
	var r io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
		ct = "application/json"
	case []byte:
		r = strings.NewReader(string(b))
		ct = "application/json"
	default:
		raw, err := json.Marshal(b)
		require.NoError(e.t, err)
		r = strings.NewReader(string(raw))
		ct = "application/json"
	}
	req := httptest.NewRequest(method, path, r)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.srv.App().Test(req, -1)
	require.NoError(e.t, err)
	return resp
}

// decode reads a JSON answer.
func decode[T any](t *testing.T, resp *http.Response) T {
	t.Helper()
	defer resp.Body.Close()
	var v T
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &v), "body: %s", raw)
	return v
}

type apiError struct {
	Error struct {
		Code    string         `json:"code"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	} `json:"error"`
}

// requireError checks a response is the error model with the status and code.
func requireError(t *testing.T, resp *http.Response, status int, code string) apiError {
	t.Helper()
	require.Equal(t, status, resp.StatusCode)
	e := decode[apiError](t, resp)
	require.Equal(t, code, e.Error.Code)
	require.NotEmpty(t, e.Error.Message)
	require.Regexp(t, `\p{Han}`, e.Error.Message, "messages for people are Chinese")
	return e
}

// browser is a cookie-keeping client of the in-memory app.
type browser struct {
	e       *testEnv
	cookies map[string]string
}

func (e *testEnv) browser() *browser { return &browser{e: e, cookies: map[string]string{}} }

func (b *browser) send(req *http.Request) (*http.Response, string) {
	b.e.t.Helper()
	req.Header.Set("Accept", "text/html")
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	resp, err := b.e.srv.App().Test(req, -1)
	require.NoError(b.e.t, err)
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(raw)
}

func (b *browser) get(path string) (*http.Response, string) {
	return b.send(httptest.NewRequest(http.MethodGet, path, nil))
}

func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.send(req)
}

var csrfRe = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// csrfOf extracts the CSRF token a page carries.
func csrfOf(t *testing.T, html string) string {
	t.Helper()
	m := csrfRe.FindStringSubmatch(html)
	require.NotNil(t, m, "page has no CSRF field")
	return m[1]
}

// login signs in through the login form.
func (b *browser) login(login, password string) (*http.Response, string) {
	_, page := b.get("/login")
	return b.post("/login", url.Values{"_csrf": {csrfOf(b.e.t, page)}, "login": {login}, "password": {password}})
}

func nullStr(s string) sql.NullString { return sql.NullString{String: s, Valid: true} }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
