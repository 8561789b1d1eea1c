package httpapi

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"xinyong/domain"
	"xinyong/storage"
)

// The parts that the JSON views of repair and objection cases share.

// historyJSON is one step of a case's history (an audit entry) with its Chinese label.
type historyJSON struct {
	Step    string          `json:"step"`
	Label   string          `json:"label"`
	Actor   string          `json:"actor"`
	Role    string          `json:"role"`
	At      time.Time       `json:"at"`
	Details json.RawMessage `json:"details"`
}

// commitmentJSON is the 信用承诺书 the applicant signed with the case: who, when, from where, and its letter.
type commitmentJSON struct {
	AcceptedBy string    `json:"accepted_by"`
	AcceptedAt time.Time `json:"accepted_at"`
	RemoteAddr string    `json:"remote_addr"`
	LetterID   *int64    `json:"letter_id"`
}

// caseWithdrawalJSON is the withdrawal order a case led to.
type caseWithdrawalJSON struct {
	ID     int64  `json:"id"`
	Cause  string `json:"cause"`
	Status string `json:"status"`
}

// labelOr is the label of key, or key itself when it has none (a step recorded by a newer version).
func labelOr(labels map[string]string, key string) string {
	if l, ok := labels[key]; ok {
		return l
	}
	return key
}

// detailField is a detail a history entry may have and how a person reads its name.
type detailField struct{ key, label string }

// detailText writes a history entry's details as a person reads them: "label：value" for each of fields that raw
// has (in that order), joined by sep; value writes a value or leaves it out (false).
func detailText(raw json.RawMessage, sep string, fields []detailField, value func(k string, v any) (string, bool)) string {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return ""
	}
	var parts []string
	for _, f := range fields {
		v, ok := m[f.key]
		if !ok || v == nil || v == "" {
			continue
		}
		if text, ok := value(f.key, v); ok {
			parts = append(parts, f.label+"："+text)
		}
	}
	return strings.Join(parts, sep)
}

// caseHistory is the case's history, oldest first, each step labelled by label.
func (s *Server) caseHistory(ctx context.Context, kind string, id int64, label func(string) string) (*[]historyJSON, error) {
	entries, err := s.db.AuditOf(ctx, kind, strconv.FormatInt(id, 10))
	if err != nil {
		return nil, err
	}
	hist := make([]historyJSON, 0, len(entries))
	for _, e := range entries {
		lbl := label(e.Action)
		if l, ok := sharedStepLabels[e.Action]; ok {
			lbl = l
		}
		hist = append(hist, historyJSON{Step: e.Action, Label: lbl, Actor: e.Actor, Role: e.Role, At: e.At,
			Details: e.Details})
	}
	return &hist, nil
}

// attachmentsJSON shows a case's materials.
func attachmentsJSON(as []storage.Attachment) *[]attachmentJSON {
	aj := make([]attachmentJSON, 0, len(as))
	for _, a := range as {
		aj = append(aj, toAttachmentJSON(a))
	}
	return &aj
}

// caseWithdrawal is the withdrawal order a case asked for: the one it records (withdrawalID), or else, when the
// case's outcome withdraws the record (withdraws), the one the record's lifecycle ordered for it (after).
func (s *Server) caseWithdrawal(ctx context.Context, withdrawalID int64, withdraws bool,
	after func() (storage.CaseWithdrawal, error)) (**caseWithdrawalJSON, error) {
	var wd *caseWithdrawalJSON
	if withdrawalID != 0 {
		w, err := s.db.GetWithdrawal(ctx, withdrawalID)
		if err != nil {
			return nil, err
		}
		wd = &caseWithdrawalJSON{ID: w.ID, Cause: string(w.Cause), Status: string(w.Status)}
	} else if withdraws {
		w, err := after()
		if err != nil {
			return nil, err
		}
		if w.WithdrawalID != 0 {
			wd = &caseWithdrawalJSON{ID: w.WithdrawalID, Cause: string(w.Cause), Status: string(w.Status)}
		}
	}
	return &wd, nil
}

// readCaseFilter reads a case list's ?status= (one of statuses), ?department=, ?uscc=, ?penalty_id=, ?overdue=
// and ?open=, and scopes them to what p may see: an enterprise its own cases, a department its own; asking for
// someone else's is not visible (an empty list).
func readCaseFilter[T ~string](c *fiber.Ctx, p *principal, statuses []T) (f storage.CaseFilter, visible bool, err error) {
	f, err = caseFilterOf(c, statuses)
	if err != nil {
		return f, false, err
	}
	return f, scopeToPrincipal(p, &f.USCC, &f.DepartmentID), nil
}

// byCase pages a list of cases (overdue first, then by id); filter names its case filter.
func byCase[F any](filter func(*F) *storage.CaseFilter) func(*F, int, string) error {
	return byOverdue(func(f *F) (**bool, *int64, *int) {
		cf := filter(f)
		return &cf.AfterOverdue, &cf.AfterID, &cf.Limit
	})
}

func caseFilterOf[T ~string](c *fiber.Ctx, statuses []T) (storage.CaseFilter, error) {
	f := storage.CaseFilter{Status: strings.TrimSpace(c.Query("status")), DepartmentID: strings.TrimSpace(c.Query("department")),
		USCC: strings.ToUpper(strings.TrimSpace(c.Query("uscc")))}
	if f.Status != "" && !slices.Contains(statuses, T(f.Status)) {
		return f, invalidField("status", "invalid_status", "status 取值无效，应为 "+strings.Join(stringsOf(statuses), "、")+" 之一")
	}
	if v := c.Query("penalty_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return f, invalidField("penalty_id", "invalid_penalty_id", "penalty_id 应为正整数")
		}
		f.PenaltyID = id
	}
	for _, b := range []struct {
		name string
		dst  *bool
	}{{"overdue", &f.OverdueOnly}, {"open", &f.Open}} {
		switch c.Query(b.name) {
		case "", "0", "false":
		case "1", "true":
			*b.dst = true
		default:
			return f, invalidField(b.name, "invalid_"+b.name, b.name+" 应为 true 或 false")
		}
	}
	return f, nil
}

// actorNames shows who did a step as a person reads it: the principal's display name (a department's or a
// channel's name, never a staff login), 系统 for the platform itself; names are looked up once per page.
type actorNames struct {
	s     *Server
	ctx   context.Context
	known map[string]string
}

func (s *Server) actorNames(ctx context.Context) *actorNames {
	return &actorNames{s: s, ctx: ctx, known: map[string]string{"": "", "system": "系统"}}
}

func (a *actorNames) name(login, role string) string {
	if n, ok := a.known[login]; ok {
		return n
	}
	n := domain.Role(role).Label()
	if u, err := a.s.db.UserByLogin(a.ctx, login); err == nil && u.DisplayName != "" {
		n = u.DisplayName
	}
	if n == role || n == "" {
		n = "工作人员"
	}
	a.known[login] = n
	return n
}

// stringsOf is a list of domain values as plain strings (for messages and SQL arrays).
func stringsOf[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}
