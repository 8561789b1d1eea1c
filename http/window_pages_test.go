package httpapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xinyong/storage"
)

// TestWindowPages: the single window's pages are the credit office's; it finds an enterprise by name or code and
// sees its records; an application without the signed commitment's scan is refused next to its field and nothing
// is stored. (The whole walk-in path runs in workflows/e2e TestBrowserWalkInWindow.)
func TestWindowPages(t *testing.T) {
	e := newTestEnv(t)
	ent := storage.DemoEnterprises[1]
	id := e.penaltyWithTask("sthjj", "镇环罚〔2026〕90号")

	for _, login := range []string{"sthjj", ent.USCC, "admin"} {
		b := e.browser()
		b.login(login, storage.DemoPassword)
		resp, _ := b.get("/window?q=" + ent.USCC)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, login)
		resp, _ = b.get("/window/enterprises/" + ent.USCC)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, login)
	}

	b := e.browser()
	b.login("office", storage.DemoPassword)
	resp, page := b.get("/window")
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, page, `id="window-search"`)
	resp, page = b.get("/window?q=" + ent.USCC[:10])
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, page, ent.Name)
	assert.Contains(t, page, "/window/enterprises/"+ent.USCC)
	_, page = b.get("/window?q=不存在的企业名称")
	assert.Contains(t, page, `id="window-none"`)

	resp, page = b.get("/window/enterprises/" + ent.USCC)
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, page, "镇环罚〔2026〕90号")
	resp, _ = b.get("/window/enterprises/91000000000000000X")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, page = b.get("/window/repairs/new?uscc=" + ent.USCC + "&penalty_id=" + id)
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, page, "镇环罚〔2026〕90号")
	// Another enterprise's record is not found under this one.
	resp, _ = b.get("/window/repairs/new?uscc=" + storage.DemoEnterprises[2].USCC + "&penalty_id=" + id)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	count := func() int {
		var n int
		require.NoError(t, e.db.GetContext(context.Background(), &n, `SELECT count(*) FROM attachments`))
		return n
	}
	before := count()
	body, ct := multipartBody(t, "files", "罚款缴纳凭证.pdf", minimalPDF, map[string]string{
		"_csrf": csrfOf(t, page), "penalty_id": id, "commitment_signed": "1", "statement": "窗口受理"})
	req := httptest.NewRequest(http.MethodPost, "/window/repairs?uscc="+ent.USCC, body)
	req.Header.Set("Content-Type", ct)
	resp, page = b.send(req)
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, page, "请上传企业签章的纸质信用承诺书扫描件")
	assert.Equal(t, before, count(), "nothing stored")
}
