package httpapi

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"xinyong/storage"
)

// enterpriseUpdateInput is PATCH /api/v1/enterprises/{uscc}: the fields to change (at least one).
type enterpriseUpdateInput struct {
	Name                *string `json:"name"`
	LegalRepresentative *string `json:"legal_representative"`
	Address             *string `json:"address"`
}

// updateEnterprise is the one way to change the registry's record of an enterprise (PATCH
// /api/v1/enterprises/:uscc, credit office and admins): registrations and imports never rename a known
// enterprise, so the name on certificates is the one the credit office keeps.
//
// updateEnterprise changes an enterprise's name, legal representative or address; omitted fields are kept.
func (s *Server) updateEnterprise(c *fiber.Ctx) error {
	var in enterpriseUpdateInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	var ch storage.EnterpriseChange
	for _, f := range []struct {
		field, label string
		value        *string
		max          int
		dst          *string
	}{
		{"name", "企业名称", in.Name, 100, &ch.Name},
		{"legal_representative", "法定代表人", in.LegalRepresentative, 50, &ch.LegalRepresentative},
		{"address", "地址", in.Address, 200, &ch.Address},
	} {
		if f.value == nil {
			continue
		}
		v := strings.TrimSpace(*f.value)
		if v == "" || !utf8.ValidString(v) || utf8.RuneCountInString(v) > f.max {
			return invalidField(f.field, "invalid_"+f.field, f.label+"不能为空且不超过"+strconv.Itoa(f.max)+"个字")
		}
		if e := printable(f.field, f.label, v); e != nil {
			return e
		}
		*f.dst = v
	}
	if ch == (storage.EnterpriseChange{}) {
		return invalidField("name", "nothing_to_change", "请至少提供 name、legal_representative 或 address 之一")
	}
	before, after, err := s.db.UpdateEnterprise(c.UserContext(), c.Params("uscc"), ch)
	if err != nil {
		return err
	}
	if err := s.audit(c, "enterprise.update", "enterprise", after.USCC, map[string]any{"before": before, "after": after}); err != nil {
		return err
	}
	return c.JSON(after)
}
