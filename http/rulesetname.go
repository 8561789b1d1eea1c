package httpapi

import "context"

// ruleSetName is the Chinese name of a rule set for pages (its id is an internal code); a rule set without a name
// reads as the current rules.
func (s *Server) ruleSetName(ctx context.Context, id string) string {
	if rs, err := s.db.GetRuleSet(ctx, id); err == nil && rs.Name != "" {
		return rs.Name
	}
	return "现行信用修复规定"
}
