package httpapi

import (
	"context"
	"errors"

	"github.com/gofiber/fiber/v2"

	"xinyong/domain"
	"xinyong/storage"
)

// An admin activates or deactivates a rule set (routes.go). The shipped example overlay comes inactive: NDRC Order
// 36 arts. 14-15 allow extra repair conditions only from laws and rules, so an admin turns an overlay on once its
// local basis is checked.

func (s *Server) activateRuleSet(c *fiber.Ctx) error   { return s.setRuleSetActive(c, true) }
func (s *Server) deactivateRuleSet(c *fiber.Ctx) error { return s.setRuleSetActive(c, false) }

func (s *Server) setRuleSetActive(c *fiber.Ctx, active bool) error {
	id := c.Params("id")
	if err := s.db.SetRuleSetActive(c.UserContext(), id, active); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return errNotFound
		}
		return err
	}
	action := "ruleset.deactivate"
	if active {
		action = "ruleset.activate"
	}
	if err := s.audit(c, action, "ruleset", id, map[string]any{"active": active}); err != nil {
		return err
	}
	return s.getRuleSet(c)
}

// departmentRules loads a department and every rule set, from which the rule set of its procedures is chosen.
func (s *Server) departmentRules(ctx context.Context, departmentID string) (storage.Department, []domain.RuleSet, error) {
	dept, err := s.db.GetDepartment(ctx, departmentID)
	if err != nil {
		return dept, nil, err
	}
	sets, err := s.db.ListRuleSets(ctx)
	return dept, sets, err
}
