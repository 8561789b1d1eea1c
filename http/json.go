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

// bindOptionalJSON decodes a JSON body when there is one (an empty body keeps v as it is).
func bindOptionalJSON(c *fiber.Ctx, v any) error {
	if len(c.Body()) == 0 {
		return nil
	}
	return bindJSON(c, v)
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

// bodyStep is a whole API step on a record: load it (404 for what the caller must not see), decode the step's
// JSON body, do the step and answer status with its result.
func bodyStep[T, B, J any](c *fiber.Ctx, status int, load func(*fiber.Ctx) (T, error), do func(*fiber.Ctx, T, B) (J, error)) error {
	v, b, err := withBody[T, B](c, load)
	if err != nil {
		return err
	}
	out, err := do(c, v, b)
	if err != nil {
		return err
	}
	return c.Status(status).JSON(out)
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

// answerCreated answers 201 with the view of a record just created (loaded with err) and its address.
func answerCreated[T, J any](c *fiber.Ctx, location string, v T, err error, view func(context.Context, T) (J, error)) error {
	if err != nil {
		return err
	}
	j, err := view(c.UserContext(), v)
	if err != nil {
		return err
	}
	c.Location(location)
	return c.Status(fiber.StatusCreated).JSON(j)
}

// viewed loads the record a request names with load (404 for what the caller must not see) and its view: the
// start of every page that shows one record.
func viewed[T, J any](c *fiber.Ctx, load func(*fiber.Ctx) (T, error), view func(context.Context, T) (J, error)) (J, error) {
	_, j, err := withView(c, load, view)
	return j, err
}

// withView is viewed that also answers the record.
func withView[T, J any](c *fiber.Ctx, load func(*fiber.Ctx) (T, error), view func(context.Context, T) (J, error)) (T, J, error) {
	var j J
	v, err := load(c)
	if err == nil {
		j, err = view(c.UserContext(), v)
	}
	return v, j, err
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

// asIs is the view of a record the API shows as it is stored.
func asIs[T any](_ context.Context, v T) (T, error) { return v, nil }

// plainView adapts a view that needs no context and cannot fail to createJSON and answerJSON.
func plainView[T, J any](f func(T) J) func(context.Context, T) (J, error) {
	return func(_ context.Context, v T) (J, error) { return f(v), nil }
}

// withPathID runs do on the :id of the path (400 when it is not an id).
func withPathID[T any](c *fiber.Ctx, do func(*fiber.Ctx, int64) (T, error)) (T, error) {
	id, err := pathID(c)
	if err != nil {
		var zero T
		return zero, err
	}
	return do(c, id)
}

// answerAll answers a whole list (loaded with err) as one page.
func answerAll[T any](c *fiber.Ctx, items []T, err error) error {
	if err != nil {
		return err
	}
	if items == nil {
		items = []T{}
	}
	return c.JSON(page[T]{Items: items})
}

// mapOf is f of every item, in order.
func mapOf[T, U any](items []T, f func(T) U) []U {
	out := make([]U, len(items))
	for i, it := range items {
		out[i] = f(it)
	}
	return out
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

// fetcher answers the pages of a list: at most limit rows, in the list's order, after the key after ("" for the
// first page).
type fetcher[R any] func(limit int, after string) ([]R, error)

// lister reads a list's filters from the request once (scoped to the caller) and answers its pages; the list and
// its export share it.
type lister[R any] func(c *fiber.Ctx) (fetcher[R], error)

// listPage answers one page of a list: list reads its filters, key writes a row's key, view turns a row into its
// JSON.
func listPage[R, J any](c *fiber.Ctx, list lister[R], key func(R) string, view func(R) (J, error)) error {
	fetch, err := list(c)
	if err != nil {
		return err
	}
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

// filtered is the fetcher of a list read through its storage filter f: each page sets its cursor and row limit
// on a copy of f (page) and asks list. It answers ferr, the error of reading the filter, when there is one, and
// nothing when the caller asked for what it may not see (visible false).
func filtered[F, R any](c *fiber.Ctx, f F, visible bool, ferr error, page func(f *F, limit int, after string) error,
	list func(context.Context, F) ([]R, error)) (fetcher[R], error) {
	if ferr != nil {
		return nil, ferr
	}
	ctx := c.UserContext()
	return func(limit int, after string) ([]R, error) {
		if !visible {
			return nil, nil
		}
		f := f
		if err := page(&f, limit, after); err != nil {
			return nil, err
		}
		return list(ctx, f)
	}, nil
}

// byID pages a filter in id order; fields names its cursor (the last id seen) and its limit.
func byID[F any](fields func(f *F) (id *int64, limit *int)) func(*F, int, string) error {
	return func(f *F, limit int, after string) (err error) {
		id, n := fields(f)
		*n = limit
		*id, err = parseIDKey(after)
		return err
	}
}

// byOverdue pages a filter sorted overdue first, then by id; fields names its cursor and its limit.
func byOverdue[F any](fields func(f *F) (overdue **bool, id *int64, limit *int)) func(*F, int, string) error {
	return func(f *F, limit int, after string) (err error) {
		overdue, id, n := fields(f)
		*n = limit
		*overdue, *id, err = parseOverdueKey(after)
		return err
	}
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
