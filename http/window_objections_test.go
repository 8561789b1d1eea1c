package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xinyong/storage"
)

// TestWindowObjectionPages: the credit office enters an objection on behalf of the enterprise at the window, with
// the scanned signed 异议申诉信用承诺书; without the scan nothing is stored and the message stands at the field;
// with it the objection is filed like an online one (redirect after POST to the printable receipt) and the
// enterprise sees it.
func TestWindowObjectionPages(t *testing.T) {
	e, _ := newObjectionTestEnv(t)
	a := storage.DemoEnterprises[1]
	id := e.storeFine("sthjj", "镇环罚〔2026〕31号", a)
	path := "/window/objections/new?uscc=" + a.USCC + "&penalty_id=" + itoa(id)

	for _, login := range []string{"sthjj", a.USCC} {
		b := e.browser()
		b.login(login, storage.DemoPassword)
		resp, _ := b.get(path)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, login)
	}
	b := e.browser()
	b.login("office", storage.DemoPassword)
	_, page := b.get("/window/enterprises/" + a.USCC)
	assert.Contains(t, page, `id="window-object-`+itoa(id)+`"`)
	resp, page := b.get(path)
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, page, "镇环罚〔2026〕31号")
	assert.Contains(t, page, "异议申诉信用承诺书")
	// Another enterprise's record is not found under this one.
	resp, _ = b.get("/window/objections/new?uscc=" + storage.DemoEnterprises[2].USCC + "&penalty_id=" + itoa(id))
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	post := func(field, filename string, fields map[string]string) (*http.Response, string) {
		body, ct := multipartBody(t, field, filename, minimalPDF, fields)
		req := httptest.NewRequest(http.MethodPost, "/window/objections?uscc="+a.USCC, body)
		req.Header.Set("Content-Type", ct)
		return b.send(req)
	}
	fields := map[string]string{"_csrf": csrfOf(t, page), "penalty_id": itoa(id), "grounds": "wrong_content",
		"statement": "窗口受理：罚款金额登记有误，应为3万元", "commitment_signed": "1"}
	resp, html := post("files", "缴款凭证.pdf", fields)
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, html, `<span class="field-error">请上传企业签章的纸质异议申诉信用承诺书扫描件</span>`)
	assert.Zero(t, e.count(`SELECT count(*) FROM attachments`), "nothing stored")
	assert.Zero(t, e.countObjections())

	resp, _ = post("commitment", "异议申诉信用承诺书（签章扫描件）.pdf", fields)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	loc := resp.Header.Get("Location")
	require.Regexp(t, `^/window/receipts/objections/\d+$`, loc)
	var o storage.Objection
	require.NoError(t, e.db.Get(&o, `SELECT id, uscc, filed_by, filed_by_role FROM objections`))
	assert.Equal(t, a.USCC, o.USCC)
	assert.Equal(t, "office", o.FiledBy)
	assert.Equal(t, "credit_office", o.FiledByRole)
	assert.Equal(t, 1, e.count(`SELECT count(*) FROM objection_attachments WHERE objection_id = $1`, o.ID))

	resp, receipt := b.get(loc)
	require.Equal(t, 200, resp.StatusCode)
	for _, want := range []string{"异议申请受理回执", "镇环罚〔2026〕31号", a.Name, "异议申诉信用承诺书（签章扫描件）.pdf", `href="/objections/` + itoa(o.ID) + `"`} {
		assert.Contains(t, receipt, want)
	}
	assert.Equal(t, 200, e.do("GET", "/api/v1/objections/"+itoa(o.ID), e.token(a.USCC), nil).StatusCode, "the enterprise sees it")
}
