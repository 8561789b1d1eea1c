package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"xinyong/domain"
	"xinyong/templates/letters"
)

// Every piece of free text a caller sends passes one validator (checkText) before any handler sees it: the
// textInput middleware applies it to the path, the query, every form field, every string (and key) of a JSON body
// and every cell of a CSV body. PostgreSQL refuses a NUL and invalid UTF-8, and a value it refuses inside a
// workflow step used to be retried forever; refusing it here is a 422 that changes nothing.

// textKind is how much a field may hold.
type textKind struct {
	// multiLine fields (statements, reasons, requirements) may hold newlines and tabs; nothing else may.
	multiLine bool
	// maxRunes bounds the value.
	maxRunes int
}

var (
	lineText   = textKind{maxRunes: 1000}
	shortLine  = textKind{maxRunes: 200}
	longText   = textKind{multiLine: true, maxRunes: 20000}
	queryValue = textKind{maxRunes: 1000}
	jsonKey    = textKind{maxRunes: 200}
)

// fieldKinds names the kind of every field the API and the pages take by its name (JSON key or form field). A
// field not listed is multi-line text of up to 20,000 characters: the handlers bound it more tightly where they
// know better, and a newline in it cannot jam anything.
var fieldKinds = map[string]textKind{
	// Single lines: names, references, identifiers, dates, codes.
	"login": {maxRunes: 100}, "password": {maxRunes: 200}, "name": shortLine, "display_name": shortLine,
	"title": shortLine, "venue": {maxRunes: 500}, "signed_by": shortLine, "witness": shortLine,
	"reference": shortLine, "ref": shortLine, "references": shortLine, "cause_ref": shortLine, "cause_decision": shortLine,
	"enterprise_name": shortLine, "decision_no": {maxRunes: 100}, "uscc": {maxRunes: 64}, "usccs": {maxRunes: 64},
	"attendee_name": {maxRunes: 100}, "attendee_role": {maxRunes: 64}, "department_id": {maxRunes: 64},
	"department_name": shortLine, "channel_id": {maxRunes: 64}, "channel_name": shortLine, "kind": {maxRunes: 64},
	"method": {maxRunes: 64}, "role": {maxRunes: 64}, "action": {maxRunes: 64}, "outcome": {maxRunes: 64},
	"cause": {maxRunes: 64}, "class": {maxRunes: 64}, "penalty_types": {maxRunes: 64}, "grounds": {maxRunes: 64},
	"code": {maxRunes: 100}, "status": {maxRunes: 64}, "decision": {maxRunes: 64}, "mark": {maxRunes: 64},
	"interviewee": {maxRunes: 100}, "interviewee_role": {maxRunes: 64}, "interviewers": shortLine, "place": shortLine,
	"addressee": shortLine, "agency": {maxRunes: 100}, "agency_name": shortLine, "organizer": shortLine,
	"endpoint_url": {maxRunes: 2000}, "url": {maxRunes: 2000}, "secret": {maxRunes: 500}, "next": {maxRunes: 2000},
	"due_on": {maxRunes: 64}, "decided_on": {maxRunes: 64}, "delivered_on": {maxRunes: 64}, "held_on": {maxRunes: 64},
	"starts_at": {maxRunes: 64}, "ends_at": {maxRunes: 64}, "fine_amount_yuan": {maxRunes: 64}, "rule_set": {maxRunes: 100},
	"_csrf": shortLine, "purpose": {maxRunes: 64}, "filename": shortLine, "id": {maxRunes: 64},
	// Multi-line texts.
	"statement": longText, "reason": longText, "requirements": longText, "facts": longText, "legal_basis": longText,
	"comment": longText, "notes": longText, "summary": longText, "body": longText, "content": longText,
	"undertakings": longText, "commitment": longText, "extension_reason": longText, "message": longText,
	"description": longText,
}

// kindOf answers a field's kind; "corrections.facts" or "correct_facts" count as "facts".
func kindOf(field string) textKind {
	name := field
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = name[i+1:]
	}
	if k, ok := fieldKinds[name]; ok {
		return k
	}
	if k, ok := fieldKinds[strings.TrimPrefix(name, "correct_")]; ok {
		return k
	}
	return longText
}

// errInvalidText is a 422 for a value that is not acceptable text.
func errInvalidText(field, reason, message string, extra map[string]any) *Error {
	d := map[string]any{"field": field, "reason": reason}
	for k, v := range extra {
		d[k] = v
	}
	return newError(domain.KindInvalid, "invalid_text", message).With(d)
}

// forbiddenRune reports a character no field may hold: control characters (newline and tab only where lines
// are allowed), bidirectional overrides that make a text read differently from what is stored, and
// non-characters.
func forbiddenRune(r rune, multiLine bool) bool {
	switch {
	case r == '\n' || r == '\t' || r == '\r':
		return !multiLine
	case r == '\u2028' || r == '\u2029':
		return !multiLine
	case unicode.Is(unicode.Cc, r):
		return true
	case r >= '\u202A' && r <= '\u202E', r >= '\u2066' && r <= '\u2069':
		return true
	case r == '\uFFFE' || r == '\uFFFF':
		return true
	}
	return false
}

// checkText is the one text validator: valid UTF-8, no forbidden character, at most the kind's length.
func checkText(field, value string, kind textKind) *Error {
	label := field
	if label == "" {
		label = "请求内容"
	}
	if !utf8.ValidString(value) {
		return errInvalidText(field, "invalid_utf8", fmt.Sprintf("字段“%s”不是有效的UTF-8文本", label), nil)
	}
	n := 0
	for _, r := range value {
		n++
		if forbiddenRune(r, kind.multiLine) {
			if r == '\n' || r == '\r' || r == '\t' || r == '\u2028' || r == '\u2029' {
				return errInvalidText(field, "line_break", fmt.Sprintf("字段“%s”只能填写一行文字，不能换行或含制表符", label), nil)
			}
			return errInvalidText(field, "control_character",
				fmt.Sprintf("字段“%s”含有不允许的控制字符（U+%04X），请删除后重试", label, r), map[string]any{"character": fmt.Sprintf("U+%04X", r)})
		}
	}
	if kind.maxRunes > 0 && n > kind.maxRunes {
		return errInvalidText(field, "too_long", fmt.Sprintf("字段“%s”过长（不超过%d字）", label, kind.maxRunes),
			map[string]any{"max_chars": kind.maxRunes})
	}
	return nil
}

// maxJSONDepth bounds how deeply a JSON body nests; no request of the API nests more than a few levels.
const maxJSONDepth = 32

// checkJSONText checks every key and string of a JSON document; a document that does not parse is left to the
// handler's decoder, which answers malformed_json.
func checkJSONText(body []byte) *Error {
	if !utf8.Valid(body) {
		return errInvalidText("", "invalid_utf8", "请求内容不是有效的UTF-8文本", nil)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	type frame struct {
		object    bool
		expectKey bool
		key       string
	}
	stack := []frame{{key: ""}}
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // io.EOF or a syntax error: bindJSON reports the latter
		}
		top := &stack[len(stack)-1]
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				if len(stack) > maxJSONDepth {
					return newError(domain.KindInvalid, "json_too_deep",
						fmt.Sprintf("请求内容嵌套过深（不超过%d层）", maxJSONDepth))
				}
				stack = append(stack, frame{object: t == '{', expectKey: t == '{', key: top.key})
			default:
				stack = stack[:len(stack)-1]
				if len(stack) == 0 {
					return nil
				}
				if p := &stack[len(stack)-1]; p.object {
					p.expectKey = true
				}
			}
		case string:
			if top.object && top.expectKey {
				if e := checkText("(key)", t, jsonKey); e != nil {
					return e
				}
				top.key, top.expectKey = t, false
				continue
			}
			if e := checkText(top.key, t, kindOf(top.key)); e != nil {
				return e
			}
			if top.object {
				top.expectKey = true
			}
		default:
			if top.object {
				top.expectKey = true
			}
		}
	}
}

// checkCSVText checks an uploaded CSV: a NUL or another control character in a cell is refused like in a field.
// Text that is not UTF-8 is left to the import, which explains the expected encoding.
func checkCSVText(field string, data []byte) *Error {
	if !utf8.Valid(data) {
		return nil
	}
	s := strings.TrimPrefix(string(data), "\uFEFF")
	for _, r := range s {
		if forbiddenRune(r, true) {
			return errInvalidText(field, "control_character",
				fmt.Sprintf("上传的表格含有不允许的控制字符（U+%04X），请删除后重试", r), map[string]any{"character": fmt.Sprintf("U+%04X", r)})
		}
	}
	return nil
}

// isCSV reports whether a media type or file name is a CSV table.
func isCSV(mediaType, filename string) bool {
	return mediaType == "text/csv" || mediaType == "text/plain" || strings.HasSuffix(strings.ToLower(filename), ".csv")
}

// textInput runs checkText over everything a request carries as text before the handler sees it.
func (s *Server) textInput(c *fiber.Ctx) error {
	if p := principalOf(c); p != nil {
		c.SetUserContext(withPrincipal(c.UserContext(), p))
	}
	// Route parameters reach handlers escaped or not, depending on how they read them: check both forms.
	path := c.Path()
	if unescaped, err := url.PathUnescape(path); err == nil {
		path = unescaped
	}
	if e := checkText("path", path, textKind{maxRunes: 2000}); e != nil {
		return e
	}
	var qerr *Error
	c.Request().URI().QueryArgs().VisitAll(func(k, v []byte) {
		if qerr != nil {
			return
		}
		if qerr = checkText("(key)", string(k), jsonKey); qerr == nil {
			qerr = checkText(string(k), string(v), queryValue)
		}
	})
	if qerr != nil {
		return qerr
	}
	if isSafeMethod(c.Method()) || len(c.Body()) == 0 {
		return c.Next()
	}
	mt, params, _ := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	var e *Error
	switch {
	case mt == fiber.MIMEApplicationJSON:
		if len(c.Body()) <= maxJSONBytes {
			e = checkJSONText(c.Body())
		}
	case mt == fiber.MIMEApplicationForm:
		c.Request().PostArgs().VisitAll(func(k, v []byte) {
			if e == nil {
				e = checkFormValue(string(k), string(v))
			}
		})
	case mt == fiber.MIMEMultipartForm && params["boundary"] != "":
		e = checkMultipartText(c.Body(), params["boundary"])
	case isCSV(mt, ""):
		e = checkCSVText("file", c.Body())
	}
	if e != nil {
		return e
	}
	return c.Next()
}

// checkFormValue checks one form field; a field holding JSON (a list sent from a page) is checked as JSON too.
func checkFormValue(field, value string) *Error {
	if e := checkText("(key)", field, jsonKey); e != nil {
		return e
	}
	if e := checkText(field, value, kindOf(field)); e != nil {
		return e
	}
	if v := strings.TrimSpace(value); strings.HasPrefix(v, "{") || strings.HasPrefix(v, "[") {
		return checkJSONText([]byte(v))
	}
	return nil
}

// checkMultipartText checks the fields of a multipart body and its CSV files; other files are checked by content
// where they are stored. A body that does not parse is left to the handler.
func checkMultipartText(body []byte, boundary string) *Error {
	r := multipart.NewReader(bytes.NewReader(body), boundary)
	for {
		part, err := r.NextRawPart()
		if err != nil {
			return nil // io.EOF, or a malformed body that the handler refuses
		}
		_, dp, err := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
		if err != nil {
			return nil
		}
		field := dp["name"]
		if filename, isFile := dp["filename"]; isFile {
			ct, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
			if !isCSV(ct, filename) {
				continue
			}
			data, err := io.ReadAll(io.LimitReader(part, maxBodyBytes))
			if err != nil {
				return nil
			}
			if e := checkCSVText(field, data); e != nil {
				return e
			}
			continue
		}
		// A field is at most a few hundred kilobytes in any honest form; read one byte more than a field of
		// longText may hold in UTF-8 to tell "too long" from "read to the end".
		limit := int64(longText.maxRunes*4 + 1)
		data, err := io.ReadAll(io.LimitReader(part, limit))
		if err != nil && !errors.Is(err, io.EOF) {
			return nil
		}
		if int64(len(data)) >= limit {
			return errInvalidText(field, "too_long", fmt.Sprintf("字段“%s”过长", field), nil)
		}
		if e := checkFormValue(field, string(data)); e != nil {
			return e
		}
	}
}

// printable refuses, as a 422 naming field, a text that a letter will print but that holds a character no letter can
// print (letters.CheckPrintable): a character the font lacks is refused now, never printed blank. label names the
// field in the message. A font that cannot be loaded is errInternal (the server loads it at start-up and stops
// without it).
func printable(field, label, value string) *Error {
	err := letters.CheckPrintable(label, value)
	var ue *letters.UnprintableError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ue):
		return invalidField(field, ue.ErrorCode(), ue.Error())
	}
	return errInternal
}

// printableText checks a text that letters print: trimmed, bounded, and printable.
func printableText(field, label, v string, max int) (string, error) {
	v = strings.TrimSpace(v)
	if utf8.RuneCountInString(v) > max {
		return "", invalidField(field, "text_too_long", fmt.Sprintf("%s不能超过%d字", label, max))
	}
	if e := printable(field, label, v); e != nil {
		return "", e
	}
	return v, nil
}
