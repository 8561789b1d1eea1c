package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"xinyong/domain"
	"xinyong/storage"
)

// minimalPDF is a small but real PDF.
var minimalPDF = []byte("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")

// pngBytes is the signature and header of a PNG image.
var pngBytes = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"), make([]byte, 64)...)

// multipartBody builds a multipart body with one file part whose Content-Disposition carries the file name as
// given (a path-like name is sent as it is, as a hostile client would).
func multipartBody(t *testing.T, field, filename string, content []byte, fields map[string]string) (*bytes.Buffer, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		require.NoError(t, mw.WriteField(k, v))
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="`+field+`"; filename="`+strings.ReplaceAll(filename, `\`, `\\`)+`"`)
	h.Set("Content-Type", "application/octet-stream")
	pw, err := mw.CreatePart(h)
	require.NoError(t, err)
	_, _ = pw.Write(content)
	require.NoError(t, mw.Close())
	return &body, mw.FormDataContentType()
}

func (e *testEnv) upload(token, filename string, content []byte) *http.Response {
	e.t.Helper()
	body, ct := multipartBody(e.t, "file", filename, content, nil)
	req := httptest.NewRequest("POST", "/api/v1/attachments", body)
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := e.srv.App().Test(req, -1)
	require.NoError(e.t, err)
	return resp
}

func (e *testEnv) countAttachments() int {
	e.t.Helper()
	var n int
	require.NoError(e.t, e.db.Get(&n, `SELECT count(*) FROM attachments`))
	return n
}

func TestAttachmentUploadChecksContentSizeAndName(t *testing.T) {
	e := newTestEnv(t)
	a := storage.DemoEnterprises[1]
	tok := e.token(a.USCC)

	resp := e.upload(tok, "罚款缴纳凭证.pdf", minimalPDF)
	require.Equal(t, 201, resp.StatusCode)
	got := decode[attachmentJSON](t, resp)
	sum := sha256.Sum256(minimalPDF)
	require.Equal(t, hex.EncodeToString(sum[:]), got.SHA256)
	require.Equal(t, "application/pdf", got.ContentType)
	require.Equal(t, "罚款缴纳凭证.pdf", got.Filename)
	require.Equal(t, len(minimalPDF), got.SizeBytes)

	resp = e.upload(tok, "现场照片.png", pngBytes)
	require.Equal(t, 201, resp.StatusCode)
	require.Equal(t, "image/png", decode[attachmentJSON](t, resp).ContentType)
	stored := e.countAttachments()

	// A file named .pdf that is not a PDF: judged by its content.
	e1 := requireError(t, e.upload(tok, "凭证.pdf", []byte("这不是PDF文件，只是一段文字。")), 415, "unsupported_file_type")
	require.Contains(t, e1.Error.Message, "内容不是有效的PDF")
	requireError(t, e.upload(tok, "凭证.pdf", pngBytes), 415, "unsupported_file_type")
	requireError(t, e.upload(tok, "run.sh", []byte("#!/bin/sh\necho hi\n")), 415, "unsupported_file_type")
	// Too large.
	big := append(append([]byte{}, minimalPDF...), make([]byte, maxAttachmentBytes)...)
	e2 := requireError(t, e.upload(tok, "大文件.pdf", big), 413, "file_too_large")
	require.EqualValues(t, maxAttachmentBytes, e2.Error.Details["max_bytes"])
	// Path-like names are refused, not silently shortened.
	for _, name := range []string{"../../etc/passwd", "../../etc/passwd.pdf", `a\b.pdf`, "/tmp/x.pdf", ".hidden.pdf"} {
		e3 := requireError(t, e.upload(tok, name, minimalPDF), 422, "invalid_file_name")
		require.Equal(t, name, e3.Error.Details["filename"])
	}
	requireError(t, e.upload(tok, "空.pdf", nil), 422, "empty_file")
	requireError(t, e.do("POST", "/api/v1/attachments", tok, map[string]any{"file": "x"}), 415, "unsupported_media_type")
	require.Equal(t, stored, e.countAttachments(), "a refused upload stores nothing")

	// Only the owner (and whoever handles a case that references it) reads it.
	resp = e.do("GET", "/api/v1/attachments/"+itoa(got.ID)+"/content", tok, nil)
	require.Equal(t, 200, resp.StatusCode)
	require.Equal(t, "application/pdf", resp.Header.Get("Content-Type"))
	require.Contains(t, resp.Header.Get("Content-Disposition"), "filename*=UTF-8''")
	raw, _ := io.ReadAll(resp.Body)
	require.Equal(t, minimalPDF, raw)
	requireError(t, e.do("GET", "/api/v1/attachments/"+itoa(got.ID), e.token(storage.DemoEnterprises[2].USCC), nil), 404, "not_found")
	requireError(t, e.do("GET", "/api/v1/attachments/"+itoa(got.ID)+"/content", e.token("sthjj"), nil), 404, "not_found")
	requireError(t, e.do("GET", "/api/v1/attachments/"+itoa(got.ID), e.token("office"), nil), 404, "not_found")
	requireError(t, e.do("GET", "/api/v1/attachments/"+itoa(got.ID), e.token("op-gsxt"), nil), 403, "forbidden")
	resp = e.do("GET", "/api/v1/attachments/"+itoa(got.ID), tok, nil)
	require.Equal(t, 200, resp.StatusCode)

	ok, err := e.db.CanReadAttachment(context.Background(), got.ID, storage.AttachmentReader{Role: domain.RoleEnterprise, USCC: a.USCC})
	require.NoError(t, err)
	require.True(t, ok, "the enterprise's other users read it too")
}

func TestCheckUploadJudgesNamesAndContent(t *testing.T) {
	jpeg := append([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F', 0}, make([]byte, 32)...)
	for _, tc := range []struct {
		name    string
		data    []byte
		want    string // content type, or the error code
		outName string
	}{
		{"照片.jpg", jpeg, "image/jpeg", "照片.jpg"},
		{"照片.JPEG", jpeg, "image/jpeg", "照片.JPEG"},
		{"照片", jpeg, "image/jpeg", "照片.jpg"},
		{"报告.PDF", minimalPDF, "application/pdf", "报告.PDF"},
		{"报告.pdf", jpeg, "unsupported_file_type", ""},
		{"报告.png", minimalPDF, "unsupported_file_type", ""},
		{"报告.pdf", []byte("<html><body>%PDF-</body></html>"), "unsupported_file_type", ""},
		{"a/b.pdf", minimalPDF, "invalid_file_name", ""},
		{"..", minimalPDF, "invalid_file_name", ""},
		{"a\x00b.pdf", minimalPDF, "invalid_file_name", ""},
		{"a\u200bb.pdf", minimalPDF, "invalid_file_name", ""},
		{strings.Repeat("长", 201) + ".pdf", minimalPDF, "invalid_file_name", ""},
	} {
		got, err := checkUpload(formUpload{Field: "file", Filename: tc.name, Data: tc.data})
		if strings.Contains(tc.want, "/") {
			require.NoError(t, err, tc.name)
			require.Equal(t, tc.want, got.ContentType, tc.name)
			require.Equal(t, tc.outName, got.Filename, tc.name)
			continue
		}
		var ae *Error
		require.ErrorAs(t, err, &ae, tc.name)
		require.Equal(t, tc.want, ae.Code, tc.name)
	}
}
