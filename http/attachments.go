package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"xinyong/domain"
	"xinyong/storage"
)

// maxAttachmentBytes bounds one uploaded file; maxUploadFiles the files of one request.
const (
	maxAttachmentBytes = 10 << 20
	maxUploadFiles     = 20
	maxFileNameRunes   = 200
)

// attachmentTypes are the accepted kinds of material: the content type judged from the bytes, and the file name
// extensions that may carry it.
var attachmentTypes = map[string][]string{
	"application/pdf": {".pdf"},
	"image/jpeg":      {".jpg", ".jpeg"},
	"image/png":       {".png"},
}

// attachmentJSON is an upload as the API shows it.
type attachmentJSON struct {
	ID          int64     `json:"id"`
	Filename    string    `json:"filename"`
	ContentType string    `json:"content_type"`
	SizeBytes   int       `json:"size_bytes"`
	SHA256      string    `json:"sha256"`
	Purpose     string    `json:"purpose,omitempty"`
	URL         string    `json:"url"`
	CreatedAt   time.Time `json:"created_at"`
}

func toAttachmentJSON(a storage.Attachment) attachmentJSON {
	return attachmentJSON{ID: a.ID, Filename: a.Filename, ContentType: a.ContentType, SizeBytes: a.SizeBytes, SHA256: a.SHA256,
		Purpose: a.Purpose, URL: "/api/v1/attachments/" + strconv.FormatInt(a.ID, 10) + "/content", CreatedAt: a.CreatedAt}
}

// formUpload is one file of a multipart request, as sent.
type formUpload struct {
	Field    string
	Filename string // as sent, not reduced to a base name: a path-like name is refused, not silently changed
	Data     []byte
}

// multipartForm is a parsed multipart request: its files and its other fields.
type multipartForm struct {
	Files  []formUpload
	Values map[string][]string
}

// files splits the uploads into those of the named field and the others, each in the order sent.
func (f *multipartForm) files(field string) (named, others []formUpload) {
	for _, u := range f.Files {
		if u.Field == field {
			named = append(named, u)
		} else {
			others = append(others, u)
		}
	}
	return named, others
}

func (f *multipartForm) value(name string) string {
	if vs := f.Values[name]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// parseMultipart reads a multipart/form-data body. Every file is bounded by maxAttachmentBytes (413) and the
// request by maxUploadFiles files; file parts with no content and no name (an empty file input) are skipped.
func parseMultipart(c *fiber.Ctx) (*multipartForm, error) {
	mt, params, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err != nil || mt != fiber.MIMEMultipartForm || params["boundary"] == "" {
		return nil, errUnsupportedMedia.With(map[string]any{"expected": fiber.MIMEMultipartForm})
	}
	r := multipart.NewReader(bytes.NewReader(c.Body()), params["boundary"])
	form := &multipartForm{Values: map[string][]string{}}
	for {
		part, err := r.NextRawPart()
		if errors.Is(err, io.EOF) {
			return form, nil
		}
		if err != nil {
			return nil, newError(domain.KindMalformed, "malformed_multipart", "上传请求格式错误（multipart/form-data）")
		}
		_, dp, err := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
		if err != nil {
			return nil, newError(domain.KindMalformed, "malformed_multipart", "上传请求格式错误（Content-Disposition）")
		}
		field := dp["name"]
		filename, isFile := dp["filename"]
		data, err := io.ReadAll(io.LimitReader(part, maxAttachmentBytes+1))
		if err != nil {
			return nil, newError(domain.KindMalformed, "malformed_multipart", "上传请求格式错误")
		}
		if !isFile {
			if len(data) > maxJSONBytes {
				return nil, errTooLarge.With(map[string]any{"field": field})
			}
			form.Values[field] = append(form.Values[field], string(data))
			continue
		}
		if filename == "" && len(data) == 0 {
			continue
		}
		if len(data) > maxAttachmentBytes {
			return nil, newError(domain.KindTooLarge, "file_too_large",
				fmt.Sprintf("文件“%s”超过%d MB的大小限制", displayName(filename), maxAttachmentBytes>>20)).With(
				map[string]any{"field": field, "max_bytes": maxAttachmentBytes})
		}
		if len(form.Files) == maxUploadFiles {
			return nil, newError(domain.KindInvalid, "too_many_files", fmt.Sprintf("一次最多上传%d个文件", maxUploadFiles))
		}
		form.Files = append(form.Files, formUpload{Field: field, Filename: filename, Data: data})
	}
}

// displayName shortens a name for a message.
func displayName(name string) string {
	if utf8.RuneCountInString(name) > 60 {
		return string([]rune(name)[:60]) + "…"
	}
	return name
}

// checkedUpload is an upload that passed every check.
type checkedUpload struct {
	Filename    string
	ContentType string
	Data        []byte
}

// checkUpload refuses a file name that is a path, hidden, too long or unprintable (422 invalid_file_name), an empty
// file (422), and content that is not a PDF, JPEG or PNG or does not match its name's extension (415): the type is
// judged by the bytes, never by the name.
func checkUpload(u formUpload) (checkedUpload, error) {
	name := u.Filename
	nameErr := func(msg string) error {
		return newError(domain.KindInvalid, "invalid_file_name", msg).With(map[string]any{"field": u.Field, "filename": name})
	}
	switch {
	case strings.TrimSpace(name) == "":
		return checkedUpload{}, nameErr("请为上传的文件提供文件名")
	case !utf8.ValidString(name):
		return checkedUpload{}, nameErr("文件名不是有效的UTF-8文本")
	case strings.ContainsAny(name, `/\`):
		return checkedUpload{}, nameErr(fmt.Sprintf("文件名“%s”包含路径分隔符（/ 或 \\），请只提供文件本身的名称", displayName(name)))
	case strings.HasPrefix(name, "."):
		return checkedUpload{}, nameErr(fmt.Sprintf("文件名“%s”不能以“.”开头", displayName(name)))
	case strings.IndexFunc(name, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }) >= 0:
		return checkedUpload{}, nameErr("文件名包含控制字符或不可见字符")
	case utf8.RuneCountInString(name) > maxFileNameRunes:
		return checkedUpload{}, nameErr(fmt.Sprintf("文件名不能超过%d个字符", maxFileNameRunes))
	}
	if len(u.Data) == 0 {
		return checkedUpload{}, newError(domain.KindInvalid, "empty_file", fmt.Sprintf("文件“%s”是空文件", displayName(name))).With(
			map[string]any{"field": u.Field, "filename": name})
	}
	ext := strings.ToLower(path.Ext(name))
	detected := detectAttachmentType(u.Data)
	typeErr := func(msg string) error {
		return newError(domain.KindUnsupportedMedia, "unsupported_file_type", msg).With(map[string]any{
			"field": u.Field, "filename": name, "accepted": []string{"application/pdf", "image/jpeg", "image/png"}})
	}
	if detected == "" {
		if ext == ".pdf" || ext == ".jpg" || ext == ".jpeg" || ext == ".png" {
			return checkedUpload{}, typeErr(fmt.Sprintf("文件“%s”的内容不是有效的%s文件（系统按文件内容而非扩展名检查），请上传真实的PDF、JPEG或PNG文件",
				displayName(name), strings.ToUpper(strings.TrimPrefix(ext, "."))))
		}
		return checkedUpload{}, typeErr(fmt.Sprintf("文件“%s”不是PDF、JPEG或PNG文件，仅接受这三种格式", displayName(name)))
	}
	exts := attachmentTypes[detected]
	if ext != "" && !containsString(exts, ext) {
		return checkedUpload{}, typeErr(fmt.Sprintf("文件“%s”的扩展名与内容不符：内容是%s", displayName(name), typeLabel(detected)))
	}
	if ext == "" {
		name += exts[0]
	}
	return checkedUpload{Filename: name, ContentType: detected, Data: u.Data}, nil
}

func containsString(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func typeLabel(ct string) string {
	switch ct {
	case "application/pdf":
		return "PDF文件"
	case "image/jpeg":
		return "JPEG图片"
	case "image/png":
		return "PNG图片"
	}
	return ct
}

// detectAttachmentType judges a file by its bytes: a PDF starts with "%PDF-", a PNG with its 8-byte signature, a
// JPEG with FF D8 FF; net/http's sniffer must agree. Anything else is "".
func detectAttachmentType(b []byte) string {
	sniffed, _, _ := mime.ParseMediaType(http.DetectContentType(b))
	switch {
	case bytes.HasPrefix(b, []byte("%PDF-")) && sniffed == "application/pdf":
		return "application/pdf"
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) && sniffed == "image/png":
		return "image/png"
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}) && sniffed == "image/jpeg":
		return "image/jpeg"
	}
	return ""
}

// storeUploads checks every file first and stores them only when all pass, so a refused request stores nothing.
func (s *Server) storeUploads(c *fiber.Ctx, files []formUpload) ([]storage.Attachment, error) {
	p := principalOf(c)
	uscc, err := s.uploadUSCC(c, p)
	if err != nil {
		return nil, err
	}
	checked := make([]checkedUpload, 0, len(files))
	for _, f := range files {
		cu, err := checkUpload(f)
		if err != nil {
			return nil, err
		}
		checked = append(checked, cu)
	}
	total := 0
	for _, cu := range checked {
		total += len(cu.Data)
	}
	if err := s.checkUploadQuota(c, p.ID, total); err != nil {
		return nil, err
	}
	out := make([]storage.Attachment, 0, len(checked))
	for _, cu := range checked {
		sum := sha256.Sum256(cu.Data)
		a, err := s.db.PutAttachment(c.UserContext(), storage.NewAttachment{
			OwnerUserID: p.ID, OwnerLogin: p.Login, OwnerRole: p.Role, USCC: uscc, DepartmentID: p.DepartmentID.String,
			Filename: cu.Filename, ContentType: cu.ContentType, SHA256: hex.EncodeToString(sum[:]), Content: cu.Data,
		})
		if err != nil {
			return nil, err
		}
		if err := s.db.Audit(c.UserContext(), storage.AuditEntry{Actor: p.Login, Role: string(p.Role), Action: "attachment.upload",
			CaseKind: "attachment", CaseID: strconv.FormatInt(a.ID, 10)}, map[string]any{
			"filename": a.Filename, "sha256": a.SHA256, "size_bytes": a.SizeBytes, "content_type": a.ContentType}); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// uploadAttachment stores one file (multipart field "file") and answers its id and SHA-256.
func (s *Server) uploadAttachment(c *fiber.Ctx) error {
	form, err := parseMultipart(c)
	if err != nil {
		return err
	}
	files, _ := form.files("file")
	switch len(files) {
	case 0:
		return invalidField("file", "file_required", "请在字段 file 中上传一个文件")
	case 1:
	default:
		return invalidField("file", "one_file_only", "每次请求只能上传一个文件")
	}
	as, err := s.storeUploads(c, files)
	if err != nil {
		return err
	}
	c.Location("/api/v1/attachments/" + strconv.FormatInt(as[0].ID, 10))
	return c.Status(fiber.StatusCreated).JSON(toAttachmentJSON(as[0]))
}

// visibleAttachment loads the :id upload, or 404 when it does not exist or the caller may not read it.
func (s *Server) visibleAttachment(c *fiber.Ctx) (storage.Attachment, error) {
	// Whether the caller may read it is asked first, so nothing is loaded for those who may not.
	id, err := pathID(c)
	if err != nil {
		return storage.Attachment{}, err
	}
	p := principalOf(c)
	ok, err := s.db.CanReadAttachment(c.UserContext(), id, storage.AttachmentReader{UserID: p.ID, Role: p.Role,
		USCC: p.USCC.String, DepartmentID: p.DepartmentID.String})
	if err != nil {
		return storage.Attachment{}, err
	}
	if !ok {
		return storage.Attachment{}, errNotFound
	}
	return s.db.GetAttachment(c.UserContext(), id)
}

func (s *Server) getAttachment(c *fiber.Ctx) error {
	a, err := s.visibleAttachment(c)
	return answerJSON(c, a, err, plainView(toAttachmentJSON))
}

func (s *Server) getAttachmentContent(c *fiber.Ctx) error {
	a, err := s.visibleAttachment(c)
	if err != nil {
		return err
	}
	b, err := s.db.AttachmentContent(c.UserContext(), a.ID)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, a.ContentType)
	c.Set(fiber.HeaderContentDisposition, contentDisposition(a.Filename))
	c.Set("X-Content-SHA256", a.SHA256)
	return c.Send(b)
}

// contentDisposition offers a download under its stored name: an ASCII fallback and the UTF-8 name (RFC 6266).
func contentDisposition(name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '_'
		}
		return r
	}, name)
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, ascii, url.PathEscape(name))
}

// checkAttachmentIDs refuses the attachment ids a case may not cite (422, naming them): more than max, or ids
// that owned does not find among the caller's own. It answers the ids without repeats, in their order.
func checkAttachmentIDs(ids []int64, field string, max int, tooMany string, owned func([]int64) ([]int64, error),
	notOwned string) ([]int64, error) {
	seen := map[int64]bool{}
	var uniq []int64
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			uniq = append(uniq, id)
		}
	}
	if len(uniq) > max {
		return nil, invalidField(field, "too_many_attachments", tooMany)
	}
	found, err := owned(uniq)
	if err != nil {
		return nil, err
	}
	var missing []int64
	for _, id := range uniq {
		if !slices.Contains(found, id) {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return nil, newError(domain.KindInvalid, "invalid_attachment", notOwned).With(
			map[string]any{"field": field, "attachment_ids": missing})
	}
	return uniq, nil
}

// discardIfRefused deletes the uploads a request stored when the step they came with was refused (a 4xx), so a
// refused submission leaves nothing behind. A server fault or a slow workflow (5xx) keeps them: the step may still
// go through.
func (s *Server) discardIfRefused(c *fiber.Ctx, stored []storage.Attachment, stepErr error) {
	e, refused := pageProblem(stepErr)
	if len(stored) == 0 || !refused {
		return
	}
	p := principalOf(c)
	ids := mapOf(stored, func(a storage.Attachment) int64 { return a.ID })
	gone, err := s.db.DiscardAttachments(c.UserContext(), p.ID, ids)
	if err != nil {
		s.log.Error("discard refused uploads", "ids", ids, "err", err)
	}
	if len(gone) > 0 {
		_ = s.db.Audit(c.UserContext(), storage.AuditEntry{Actor: p.Login, Role: string(p.Role), Action: "attachment.discard",
			CaseKind: "user", CaseID: p.Login}, map[string]any{"attachment_ids": gone, "why": e.Code})
	}
}
