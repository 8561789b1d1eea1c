package httpapi

import (
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"xinyong/domain"
	"xinyong/storage"
)

// shanghai is the zone every date of the domain is read in.
var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}()

// audit records a state change made by the caller.
func (s *Server) audit(c *fiber.Ctx, action, caseKind, caseID string, details any) error {
	p := principalOf(c)
	return s.db.Audit(c.UserContext(), storage.AuditEntry{Actor: p.Login, Role: string(p.Role), Action: action, CaseKind: caseKind, CaseID: caseID}, details)
}

type meResponse struct {
	Login        string      `json:"login"`
	DisplayName  string      `json:"display_name"`
	Role         domain.Role `json:"role"`
	USCC         *string     `json:"uscc,omitempty"`
	DepartmentID *string     `json:"department_id,omitempty"`
	ChannelID    *string     `json:"channel_id,omitempty"`
}

func strPtr(ns sql.NullString) *string {
	if !ns.Valid {
		return nil
	}
	return &ns.String
}

func (s *Server) me(c *fiber.Ctx) error {
	p := principalOf(c)
	return c.JSON(meResponse{
		Login: p.Login, DisplayName: p.DisplayName, Role: p.Role,
		USCC: strPtr(p.USCC), DepartmentID: strPtr(p.DepartmentID), ChannelID: strPtr(p.ChannelID),
	})
}

type taskJSON struct {
	storage.Task
	DueOn *string `json:"due_on"`
	Case  string  `json:"case"`
	// AssignedTo is the login of the officer who has the case; Mine says it is the caller.
	AssignedTo *string `json:"assigned_to"`
	Mine       bool    `json:"mine"`
}

func taskKey(t storage.Task) string { return idKey(t.ID) }

// taskLister reads the filters of the open-task list once and answers its pages (the list and its export).
func (s *Server) taskLister(c *fiber.Ctx) (fetcher[storage.Task], error) {
	f := taskFilter(principalOf(c))
	switch f.Assigned = c.Query("assigned"); f.Assigned {
	case "", "mine", "unassigned":
	default:
		return nil, invalidField("assigned", "invalid_assigned", "assigned 只能为 mine 或 unassigned")
	}
	return filtered(c, f, true, nil, byID(func(f *storage.TaskFilter) (*int64, *int) { return &f.AfterID, &f.Limit }),
		s.db.OpenTasks)
}

func (s *Server) listTasks(c *fiber.Ctx) error {
	return listPage(c, s.taskLister, taskKey, viewOf(func(t storage.Task) taskJSON {
		tj := taskJSON{Task: t, Case: t.CaseKind + "-" + t.CaseID, AssignedTo: strPtr(t.AssignedLogin),
			Mine: t.AssignedTo.Valid && t.AssignedTo.Int64 == principalOf(c).ID}
		if d := t.DueOnString(); d != "" {
			tj.DueOn = &d
		}
		return tj
	}))
}

// searchEnterprises lists enterprises by USCC, the key of its pages.
func (s *Server) searchEnterprises(c *fiber.Ctx) error {
	q := strings.TrimSpace(c.Query("q"))
	return listPage(c, func(c *fiber.Ctx) (fetcher[storage.Enterprise], error) {
		return func(limit int, after string) ([]storage.Enterprise, error) {
			return s.db.SearchEnterprises(c.UserContext(), q, after, limit)
		}, nil
	}, func(e storage.Enterprise) string { return e.USCC }, viewOf(func(e storage.Enterprise) storage.Enterprise { return e }))
}

type tokenJSON struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	Revoked    bool       `json:"revoked"`
	ExpiresAt  time.Time  `json:"expires_at"`
}

// maxTokenDays is the longest lifetime a caller may ask for a bearer token.
const maxTokenDays = 365

func toTokenJSON(t storage.APIToken) tokenJSON {
	tj := tokenJSON{ID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt, Revoked: t.RevokedAt.Valid, ExpiresAt: t.ExpiresAt}
	if t.LastUsedAt.Valid {
		tj.LastUsedAt = &t.LastUsedAt.Time
	}
	return tj
}

func (s *Server) listOwnTokens(c *fiber.Ctx) error {
	ts, err := s.db.ListTokens(c.UserContext(), principalOf(c).ID)
	if err != nil {
		return err
	}
	out := page[tokenJSON]{Items: []tokenJSON{}}
	for _, t := range ts {
		out.Items = append(out.Items, toTokenJSON(t))
	}
	return c.JSON(out)
}

func (s *Server) createOwnToken(c *fiber.Ctx) error {
	var req tokenInput
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if len(req.Name) > 200 {
		return invalidField("name", "invalid_name", "令牌用途过长")
	}
	ttl := s.cfg.TokenTTL
	if req.ExpiresInDays != nil {
		if *req.ExpiresInDays < 1 || *req.ExpiresInDays > maxTokenDays {
			return invalidField("expires_in_days", "invalid_expiry", fmt.Sprintf("令牌有效期须为1至%d天", maxTokenDays))
		}
		ttl = time.Duration(*req.ExpiresInDays) * 24 * time.Hour
	}
	p := principalOf(c)
	tok, t, err := s.db.CreateTokenTTL(c.UserContext(), p.ID, req.Name, ttl)
	if err != nil {
		return err
	}
	if err := s.audit(c, "token.create", "user", p.Login, map[string]any{"token_id": t.ID}); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(createdTokenJSON{toTokenJSON(t), tok})
}

func (s *Server) revokeOwnToken(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	p := principalOf(c)
	if err := s.db.RevokeToken(c.UserContext(), id, p.ID); err != nil {
		return err
	}
	if err := s.audit(c, "token.revoke", "token", strconv.FormatInt(id, 10), nil); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) revokeOwnSessions(c *fiber.Ctx) error {
	p := principalOf(c)
	// {"include_tokens": true} also revokes every bearer token of the user (after a compromise).
	var req sessionRevokeInput
	if len(c.Body()) > 0 {
		if err := bindJSON(c, &req); err != nil {
			return err
		}
	}
	n, err := s.db.RevokeUserSessions(c.UserContext(), p.ID)
	if err != nil {
		return err
	}
	var nt int64
	if req.IncludeTokens {
		if nt, err = s.db.RevokeUserTokens(c.UserContext(), p.ID); err != nil {
			return err
		}
	}
	if err := s.audit(c, "session.revoke_all", "user", p.Login, map[string]any{"sessions": n, "tokens": nt}); err != nil {
		return err
	}
	return c.JSON(sessionRevokeJSON{RevokedSessions: n, RevokedTokens: nt})
}

func (s *Server) auditOfCase(c *fiber.Ctx) error {
	kind, id := c.Query("case_kind"), c.Query("case_id")
	if kind == "" || id == "" {
		return invalidField("case_kind", "missing_case", "请指定 case_kind 和 case_id")
	}
	es, err := s.db.AuditOf(c.UserContext(), kind, id)
	if err != nil {
		return err
	}
	if es == nil {
		es = []storage.AuditEntry{}
	}
	return c.JSON(page[storage.AuditEntry]{Items: es})
}

// tokenInput is POST /api/v1/tokens: the token's use and, optionally, its lifetime.
type tokenInput struct {
	Name          string `json:"name"`
	ExpiresInDays *int   `json:"expires_in_days"`
}

// createdTokenJSON is a new token, with its secret shown this once.
type createdTokenJSON struct {
	tokenJSON
	Token string `json:"token"`
}

// sessionRevokeInput is POST /api/v1/sessions/revoke; include_tokens also revokes every API token of the user.
type sessionRevokeInput struct {
	IncludeTokens bool `json:"include_tokens"`
}

// sessionRevokeJSON tells how many sessions and tokens were revoked.
type sessionRevokeJSON struct {
	RevokedSessions int64 `json:"revoked_sessions"`
	RevokedTokens   int64 `json:"revoked_tokens"`
}
