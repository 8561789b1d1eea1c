package httpapi

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"xinyong/storage"
)

func init() {
	modules = append(modules, (*Server).mountRuleSetActivation)
}

// mountRuleSetActivation lets an admin activate or deactivate a rule set. The shipped example overlay comes
// inactive: NDRC Order 36 arts. 14-15 allow extra repair conditions only from laws and rules, so an admin turns an
// overlay on once its local basis is checked.
func (s *Server) mountRuleSetActivation(app *fiber.App, api fiber.Router) {
	api.Post("/rulesets/:id/activate", s.allow(storage.RoleAdmin), s.ruleSetActivation(true))
	api.Post("/rulesets/:id/deactivate", s.allow(storage.RoleAdmin), s.ruleSetActivation(false))
}

func (s *Server) ruleSetActivation(active bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
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
}
