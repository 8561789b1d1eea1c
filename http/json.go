package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"xinyong/storage"
)

// maxJSONBytes bounds a JSON request body.
const maxJSONBytes = 1 << 20

// bindJSON decodes the request body into v, answering 415, 413, 400 or 422 in the error model.
func bindJSON(c *fiber.Ctx, v any) error {
	mt, _, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err != nil || mt != fiber.MIMEApplicationJSON {
		return errUnsupportedMedia.With(map[string]any{"expected": fiber.MIMEApplicationJSON})
	}
	body := c.Body()
	if len(body) > maxJSONBytes {
		return errTooLarge.With(map[string]any{"max_bytes": maxJSONBytes})
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return invalidField(te.Field, "invalid_type", "字段 "+te.Field+" 的类型不正确")
		}
		return errMalformedJSON
	}
	if _, err := dec.Token(); err != io.EOF {
		return errMalformedJSON
	}
	return nil
}

// page is a list answer: {"items": [...], "next_cursor": "..."}.
type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// listParams reads ?limit= (1..200, default 50) and ?cursor=.
func listParams(c *fiber.Ctx) (limit int, cursor string, err error) {
	limit = 50
	if l := c.Query("limit"); l != "" {
		n, perr := strconv.Atoi(l)
		if perr != nil || n < 1 || n > 200 {
			return 0, "", invalidField("limit", "invalid_limit", "limit 必须是 1 到 200 之间的整数")
		}
		limit = n
	}
	return limit, c.Query("cursor"), nil
}

// encodeCursor and decodeCursor keep cursors opaque to callers.
func encodeCursor(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func decodeCursor(s string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return "", invalidField("cursor", "invalid_cursor", "分页游标无效")
	}
	return string(b), nil
}

// idempotency replays the first answer to a write repeated with the same Idempotency-Key and body.
func (s *Server) idempotency(c *fiber.Ctx) error {
	key := c.Get("Idempotency-Key")
	p := principalOf(c)
	if key == "" || isSafeMethod(c.Method()) || p == nil {
		return c.Next()
	}
	if len(key) > 200 {
		return invalidField("Idempotency-Key", "invalid_idempotency_key", "幂等键过长")
	}
	ctx := c.UserContext()
	sum := sha256.Sum256(c.Body())
	owner := "user:" + strconv.FormatInt(p.ID, 10)
	prev, err := s.db.ClaimIdempotencyKey(ctx, owner, key, c.Method(), c.Path(), sum[:])
	if err != nil {
		return err
	}
	if prev != nil {
		if prev.Method != c.Method() || prev.Path != c.Path() || !bytes.Equal(prev.BodyHash, sum[:]) {
			return errIdempotencyReuse
		}
		if !prev.Status.Valid {
			return errIdempotencyBusy
		}
		c.Set("Idempotent-Replayed", "true")
		c.Set(fiber.HeaderContentType, prev.ContentType)
		return c.Status(int(prev.Status.Int64)).Send(prev.Response)
	}
	herr := c.Next()
	if herr != nil {
		// Let the error handler write the answer now, so the stored answer is the one the caller saw.
		if err := c.App().ErrorHandler(c, herr); err != nil {
			return err
		}
	}
	status := c.Response().StatusCode()
	if status >= 500 {
		return s.db.ReleaseIdempotencyKey(ctx, owner, key)
	}
	return s.db.CompleteIdempotencyKey(ctx, owner, key, status, string(c.Response().Header.ContentType()), c.Response().Body())
}

// decodeOverdueCursor reads the position in a list sorted overdue first, then by id.
func decodeOverdueCursor(cursor string) (afterOverdue *bool, afterID int64, err error) {
	raw, err := decodeCursor(cursor)
	if err != nil {
		return nil, 0, err
	}
	ov, idText, ok := strings.Cut(raw, ":")
	id, perr := strconv.ParseInt(idText, 10, 64)
	if !ok || perr != nil || (ov != "0" && ov != "1") {
		return nil, 0, invalidField("cursor", "invalid_cursor", "分页游标无效")
	}
	after := ov == "1"
	return &after, id, nil
}

// encodeOverdueCursor is the cursor after an item of a list sorted overdue first, then by id.
func encodeOverdueCursor(overdue bool, id int64) string {
	ov := "0"
	if overdue {
		ov = "1"
	}
	return encodeCursor(ov + ":" + strconv.FormatInt(id, 10))
}

// scopeToPrincipal narrows a list filter to an enterprise's or a department's own records. It reports false
// when the caller asked for someone else's, which lists nothing (rather than an error that would reveal them).
func scopeToPrincipal(p *principal, uscc, departmentID *string) bool {
	switch p.Role {
	case storage.RoleEnterprise:
		if *uscc != "" && *uscc != p.USCC.String {
			return false
		}
		*uscc = p.USCC.String
	case storage.RoleDepartment:
		if *departmentID != "" && *departmentID != p.DepartmentID.String {
			return false
		}
		*departmentID = p.DepartmentID.String
	}
	return true
}
