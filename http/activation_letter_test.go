package httpapi

import (
	"io"
	"net/url"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xinyong/templates/letters/pdftext"
)

// TestActivationCodeLetter: a new code from the window is printed on a stored 企业账号激活通知书 (read back with
// pdftotext), reachable from the API and the window's page; each new code is a new version of the letter that
// supersedes the one before, and the letter's recorded data does not hold the code.
func TestActivationCodeLetter(t *testing.T) {
	e := newTestEnv(t)
	withNewEnterprise(t, e)
	office := e.token("office")
	resp := e.do("POST", "/api/v1/enterprise-accounts/"+noAccountUSCC+"/activation-codes", office, nil)
	require.Equal(t, 201, resp.StatusCode)
	first := decode[activationCodeJSON](t, resp)
	require.NotZero(t, first.LetterID)
	assert.Equal(t, "/api/v1/letters/"+strconv.FormatInt(first.LetterID, 10)+"/pdf", first.LetterURL)

	pdfOf := func(path, token string) string {
		resp := e.do("GET", path, token, nil)
		require.Equal(t, 200, resp.StatusCode, path)
		assert.Equal(t, "application/pdf", resp.Header.Get("Content-Type"))
		raw, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return pdftext.Text(t, raw)
	}
	text := pdfOf(first.LetterURL, office)
	for _, want := range []string{"企业账号激活通知书", "镇江新开张贸易有限公司", noAccountUSCC, first.Code, "/activate?uscc=" + noAccountUSCC, first.VerifyCode} {
		assert.Contains(t, text, want)
	}
	assert.Equal(t, 0, e.count(`SELECT count(*) FROM letters WHERE data::text LIKE '%' || $1 || '%'`, first.Code), "the code is not kept in the letter's data")
	requireError(t, e.do("GET", first.LetterURL, e.token("scjgj"), nil), 404, "not_found")

	// The window's page links the letter; the new code supersedes the first letter.
	ob := e.browser()
	ob.login("office", "demo")
	_, pg := ob.get("/enterprise-accounts/activation-codes")
	resp2, body := ob.post("/enterprise-accounts/activation-codes", url.Values{"_csrf": {csrfOf(t, pg)}, "uscc": {noAccountUSCC}})
	require.Equal(t, 200, resp2.StatusCode, body)
	m := regexp.MustCompile(`id="activation-code">([A-Z0-9-]+)<`).FindStringSubmatch(body)
	require.NotNil(t, m)
	l := regexp.MustCompile(`href="(/letters/\d+/pdf)"`).FindStringSubmatch(body)
	require.NotNil(t, l, "the page links the letter")
	assert.Contains(t, pdfOf(l[1], office), m[1])
	assert.Equal(t, 2, e.count(`SELECT count(*) FROM letters WHERE kind = 'activation_code' AND case_kind = 'enterprise' AND case_id = $1`, noAccountUSCC))
	assert.Equal(t, 1, e.count(`SELECT count(*) FROM letters WHERE kind = 'activation_code' AND case_id = $1 AND version = 2 AND superseded_by IS NULL`, noAccountUSCC))
	assert.Equal(t, 1, e.count(`SELECT count(*) FROM letters WHERE id = $1 AND superseded_by IS NOT NULL`, first.LetterID))
	assert.Equal(t, 1, e.count(`SELECT count(*) FROM activation_codes WHERE uscc = $1 AND issued_by = 'office' AND retired_at IS NULL`, noAccountUSCC))

	// The older code no longer works; the printed one does.
	requireError(t, e.do("POST", "/api/v1/enterprise-accounts/activate", "", map[string]any{"uscc": noAccountUSCC, "code": first.Code, "password": "铁马冰河入梦来2026"}), 422, "invalid_activation_code")
	require.Equal(t, 201, e.do("POST", "/api/v1/enterprise-accounts/activate", "", map[string]any{"uscc": noAccountUSCC, "code": m[1], "password": "铁马冰河入梦来2026"}).StatusCode)
}
