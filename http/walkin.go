package httpapi

import (
	"database/sql"
	"strings"

	"github.com/gofiber/fiber/v2"

	"xinyong/domain"
)

// The walk-in window (一窗受理, issue 15): the credit office registers an application on behalf of an enterprise,
// naming its USCC; the scanned materials and the signed paper commitment are uploads filed under the enterprise.
// The application then runs exactly like an online one, and the enterprise sees it once it has an account.

// applicants may file a repair application: the enterprise online, the credit office at the window.
var applicants = []domain.Role{domain.RoleEnterprise, domain.RoleCreditOffice}

// applicant is the principal an application is judged for: the enterprise itself, or, for the credit office, the
// enterprise it names (whose records and uploads the application may use). The office must bring the signed
// paper commitment as an upload.
func (s *Server) applicant(p *principal, uscc string, attachments []int64) (*principal, error) {
	if p.Role != domain.RoleCreditOffice {
		if strings.TrimSpace(uscc) != "" {
			return nil, invalidField("uscc", "unexpected_uscc", "只有信用办窗口代为登记申请时才填写统一社会信用代码")
		}
		return p, nil
	}
	code, err := domain.NormalizeUSCC(uscc)
	if err != nil {
		return nil, invalidField("uscc", "invalid_uscc", "窗口代为登记申请须填写企业的统一社会信用代码："+err.Error())
	}
	if len(attachments) == 0 {
		return nil, invalidField("attachment_ids", "window_commitment_required", "窗口登记申请须上传企业签章的纸质信用承诺书和申请材料的扫描件")
	}
	onBehalf := *p
	onBehalf.USCC = sql.NullString{String: code, Valid: true}
	return &onBehalf, nil
}

// uploadUSCC is the enterprise an upload belongs to: the caller's own, or the one the credit office names (the
// query parameter uscc) for a walk-in application.
func (s *Server) uploadUSCC(c *fiber.Ctx, p *principal) (string, error) {
	if p.Role != domain.RoleCreditOffice {
		return p.USCC.String, nil
	}
	raw := c.Query("uscc")
	if strings.TrimSpace(raw) == "" {
		return "", nil
	}
	code, err := domain.NormalizeUSCC(raw)
	if err != nil {
		return "", invalidField("uscc", "invalid_uscc", err.Error())
	}
	if _, err := s.db.GetEnterprise(c.UserContext(), code); err != nil {
		return "", invalidField("uscc", "unknown_enterprise", "该统一社会信用代码的企业不在系统中")
	}
	return code, nil
}

// objectionFilers may file an objection: the enterprise, the department on its behalf, the credit office at the
// window.
var objectionFilers = []domain.Role{domain.RoleEnterprise, domain.RoleDepartment, domain.RoleCreditOffice}
