package httpapi

import (
	"context"
	"crypto/subtle"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"

	"xinyong/domain"
	"xinyong/storage"
)

// The public status lookup (issue 20, like 信用中国's 查询码): whoever holds a case's lookup code and the
// enterprise's USCC sees, without a login, the case's current step, the deadline of that step and the verification
// links of its letters — nothing else. A wrong pair answers 404 after the same work as a right one: the code is
// looked up, the USCC compared in constant time against the case's (or a decoy's), the letters read and the answer
// built on both paths, so the time taken does not tell whether a code exists.

// statusLookupMax is how many lookups one address may make in a minute (as /verify).
const statusLookupMax = 30

func statusLimiter() fiber.Handler {
	return limiter.New(limiter.Config{
		Max: statusLookupMax, Expiration: time.Minute,
		LimitReached: func(c *fiber.Ctx) error {
			return newError(domain.KindRateLimited, "too_many_requests", "查询过于频繁，请稍后再试")
		},
	})
}

// statusLetterJSON is a letter as the lookup shows it: its title and where anyone can verify it.
type statusLetterJSON struct {
	Title     string `json:"title"`
	VerifyURL string `json:"verify_url"`
}

// statusJSON is the answer of a lookup.
type statusJSON struct {
	CaseKind      string             `json:"case_kind"` // repair or objection
	CaseKindLabel string             `json:"case_kind_label"`
	Step          string             `json:"step"`
	StepLabel     string             `json:"step_label"`
	Deadline      *domain.Date       `json:"deadline"` // the legal deadline of the current step; null when none runs
	Provisional   bool               `json:"deadline_provisional"`
	Letters       []statusLetterJSON `json:"letters"`
}

// decoyCase stands in for a code that does not exist, so a miss does the same work as a hit.
var decoyCase = storage.StatusCase{CaseKind: "repair", CaseID: -1, USCC: "000000000000000000", Status: string(domain.RepairVerifying)}

// statusRequest is the form or JSON body of a lookup.
type statusRequest struct {
	Code string `json:"code" form:"code"`
	USCC string `json:"uscc" form:"uscc"`
}

// statusPage shows the lookup form.
func (s *Server) statusPage(c *fiber.Ctx) error {
	return s.page(c, "status", pageData{Title: "办理进度查询", Data: map[string]any{}})
}

// statusLookup answers POST /status (form, or JSON with Accept: application/json).
func (s *Server) statusLookup(c *fiber.Ctx) error {
	asJSON := strings.Contains(c.Get(fiber.HeaderAccept), "application/json")
	// POST answers pages by default (wantsHTML); a JSON caller gets its errors as JSON.
	fail := func(e *Error) error {
		if asJSON {
			return c.Status(statusOf(e)).JSON(fiber.Map{"error": e})
		}
		return e
	}
	var req statusRequest
	if err := c.BodyParser(&req); err != nil {
		return fail(newError(domain.KindMalformed, "malformed_request", "请求格式不正确，请填写查询码和统一社会信用代码"))
	}
	if len(req.Code) > 64 || len(req.USCC) > 64 {
		return fail(invalidField("code", "invalid_lookup", "查询码或统一社会信用代码过长"))
	}
	st, found, err := s.lookupStatus(c.UserContext(), req.Code, req.USCC)
	if err != nil {
		return err
	}
	if !found {
		e := newError(domain.KindNotFound, "case_not_found", "未找到与该查询码和统一社会信用代码对应的申请，请核对后重试")
		if asJSON {
			return fail(e)
		}
		c.Status(fiber.StatusNotFound)
		return s.page(c, "status", pageData{Title: "办理进度查询", Data: map[string]any{
			"NotFound": true, "Code": strings.TrimSpace(req.Code), "USCC": strings.TrimSpace(req.USCC)}})
	}
	if asJSON {
		return c.JSON(st)
	}
	return s.page(c, "status", pageData{Title: "办理进度查询", Data: map[string]any{"Status": st}})
}

// lookupStatus does the same work whether or not the pair is right and reports whether it was.
func (s *Server) lookupStatus(ctx context.Context, rawCode, rawUSCC string) (statusJSON, bool, error) {
	code := storage.NormalizeLookupCode(rawCode)
	uscc := strings.ToUpper(strings.TrimSpace(rawUSCC))
	// An impossible code is still looked up (it matches nothing), so its answer takes as long as any other.
	key := code
	if key == "" {
		key = "-"
	}
	sc, err := s.db.CaseByLookupCode(ctx, key)
	found := err == nil
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return statusJSON{}, false, err
	}
	if !found {
		sc = decoyCase
	}
	same := subtle.ConstantTimeCompare([]byte(uscc), []byte(sc.USCC)) == 1
	ok := found && same
	ls, err := s.db.LettersOf(ctx, sc.CaseKind, strconv.FormatInt(sc.CaseID, 10))
	if err != nil {
		return statusJSON{}, false, err
	}
	st := s.statusOf(sc, ls)
	if !ok {
		return statusJSON{}, false, nil
	}
	return st, true, nil
}

// statusOf is what the lookup tells of a case.
func (s *Server) statusOf(sc storage.StatusCase, ls []storage.Letter) statusJSON {
	st := statusJSON{CaseKind: sc.CaseKind, Step: sc.Status, Letters: []statusLetterJSON{}}
	switch sc.CaseKind {
	case "objection":
		st.CaseKindLabel, st.StepLabel = "异议申诉", domain.ObjectionStatus(sc.Status).Label()
	default:
		st.CaseKindLabel, st.StepLabel = "信用修复申请", domain.RepairStatus(sc.Status).Label()
	}
	if !sc.Deadline.IsZero() {
		d := sc.Deadline
		st.Deadline, st.Provisional = &d, sc.Provisional
	}
	base := strings.TrimRight(s.cfg.BaseURL, "/")
	for _, l := range ls {
		if l.SupersededBy.Valid {
			continue
		}
		st.Letters = append(st.Letters, statusLetterJSON{Title: l.Title, VerifyURL: base + "/verify/" + l.VerifyCode})
	}
	return st
}

// lookupCodeOf is a case's lookup code for its receipt and detail.
func (s *Server) lookupCodeOf(ctx context.Context, kind string, id int64) (string, error) {
	code, err := s.db.LookupCodeOf(ctx, kind, id)
	if err != nil {
		return "", err
	}
	return code, nil
}
