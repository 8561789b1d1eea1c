package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"xinyong/domain"
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

// withBody loads the record a step is about with load (404 for what the caller must not see) and then decodes
// the step's JSON body: the start of every API step on a record.
func withBody[T, B any](c *fiber.Ctx, load func(*fiber.Ctx) (T, error)) (T, B, error) {
	var b B
	v, err := load(c)
	if err != nil {
		return v, b, err
	}
	return v, b, bindJSON(c, &b)
}

// answerJSON answers a record loaded with err by its view: the ending of every handler that shows one record.
func answerJSON[T, J any](c *fiber.Ctx, v T, err error, view func(context.Context, T) (J, error)) error {
	if err != nil {
		return err
	}
	j, err := view(c.UserContext(), v)
	if err != nil {
		return err
	}
	return c.JSON(j)
}

// createJSON decodes a JSON body, creates the record with create and answers 201 with its view and, when
// location is given, its address: the whole of every API handler that creates a record.
func createJSON[B, T, J any](c *fiber.Ctx, create func(*fiber.Ctx, B) (T, error), view func(context.Context, T) (J, error),
	location func(T) string) error {
	var in B
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	v, err := create(c, in)
	if err != nil {
		return err
	}
	j, err := view(c.UserContext(), v)
	if err != nil {
		return err
	}
	if location != nil {
		c.Location(location(v))
	}
	return c.Status(fiber.StatusCreated).JSON(j)
}

// keepMap is view of the items keep accepts, in order (never nil, so that JSON shows []).
func keepMap[T, J any](items []T, keep func(T) bool, view func(T) J) []J {
	out := []J{}
	for _, it := range items {
		if keep(it) {
			out = append(out, view(it))
		}
	}
	return out
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
		return "", errInvalidCursor
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

// Lists page with one keyset scheme: a page holds at most limit items in the list's order; next_cursor is the
// opaque key of its last item ("" on the last page), and the next page starts after that key. A list asks its
// store for limit+1 rows, so it knows whether more follow without counting. Each list owns the text of its key
// (an id, "overdue:id", a USCC); cursors are that text in base64url.

// listPage answers one page of a list: fetch gets the row limit and the key after which to start ("" for the
// first page) and returns the rows in order; key writes a row's key; view turns a row into its JSON.
func listPage[R, J any](c *fiber.Ctx, fetch func(limit int, after string) ([]R, error), key func(R) string,
	view func(R) (J, error)) error {
	limit, cursor, err := listParams(c)
	if err != nil {
		return err
	}
	after := ""
	if cursor != "" {
		if after, err = decodeCursor(cursor); err != nil {
			return err
		}
	}
	rows, err := fetch(limit+1, after)
	if err != nil {
		return err
	}
	out := page[J]{Items: make([]J, 0, min(len(rows), limit))}
	for i, r := range rows {
		if i == limit {
			out.NextCursor = encodeCursor(key(rows[i-1]))
			break
		}
		j, err := view(r)
		if err != nil {
			return err
		}
		out.Items = append(out.Items, j)
	}
	return c.JSON(out)
}

// viewOf adapts a conversion that cannot fail to listPage.
func viewOf[R, J any](f func(R) J) func(R) (J, error) {
	return func(r R) (J, error) { return f(r), nil }
}

var errInvalidCursor = invalidField("cursor", "invalid_cursor", "分页游标无效")

// idKey and parseIDKey are the key of a list in id order.
func idKey(id int64) string { return strconv.FormatInt(id, 10) }

func parseIDKey(after string) (int64, error) {
	if after == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(after, 10, 64)
	if err != nil {
		return 0, errInvalidCursor
	}
	return id, nil
}

// overdueKey and parseOverdueKey are the key of a list sorted overdue first, then by id.
func overdueKey(overdue bool, id int64) string {
	if overdue {
		return "1:" + idKey(id)
	}
	return "0:" + idKey(id)
}

func parseOverdueKey(after string) (afterOverdue *bool, afterID int64, err error) {
	if after == "" {
		return nil, 0, nil
	}
	ov, idText, ok := strings.Cut(after, ":")
	id, perr := strconv.ParseInt(idText, 10, 64)
	if !ok || perr != nil || (ov != "0" && ov != "1") {
		return nil, 0, errInvalidCursor
	}
	o := ov == "1"
	return &o, id, nil
}

// scopeToPrincipal narrows a list filter to an enterprise's or a department's own records. It reports false
// when the caller asked for someone else's, which lists nothing (rather than an error that would reveal them).
func scopeToPrincipal(p *principal, uscc, departmentID *string) bool {
	switch p.Role {
	case domain.RoleEnterprise:
		if *uscc != "" && *uscc != p.USCC.String {
			return false
		}
		*uscc = p.USCC.String
	case domain.RoleDepartment:
		if *departmentID != "" && *departmentID != p.DepartmentID.String {
			return false
		}
		*departmentID = p.DepartmentID.String
	}
	return true
}
