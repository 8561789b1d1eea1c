package httpapi

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"xinyong/domain"
	"xinyong/storage"
	"xinyong/templates/letters"
)

// letterJSON is a letter as the API shows it.
type letterJSON struct {
	ID           int64   `json:"id"`
	Kind         string  `json:"kind"`
	Title        string  `json:"title"`
	Number       string  `json:"number"`
	Issuer       string  `json:"issuer"`
	Addressee    string  `json:"addressee"`
	IssuedOn     string  `json:"issued_on"`
	Version      int     `json:"version"`
	URL          string  `json:"url"`
	SHA256       string  `json:"sha256"`
	VerifyCode   string  `json:"verify_code"`
	VerifyURL    string  `json:"verify_url"`
	SupersededBy *int64  `json:"superseded_by"`
	USCC         *string `json:"uscc,omitempty"`
}

func (s *Server) toLetterJSON(l storage.Letter) letterJSON {
	lj := letterJSON{
		ID: l.ID, Kind: l.Kind, Title: l.Title, Number: l.Number, Issuer: l.Issuer, Addressee: l.Addressee,
		IssuedOn: l.IssuedOn.Format("2006-01-02"), Version: l.Version, SHA256: l.SHA256, VerifyCode: l.VerifyCode,
		URL:       "/api/v1/letters/" + strconv.FormatInt(l.ID, 10) + "/pdf",
		VerifyURL: strings.TrimRight(s.cfg.BaseURL, "/") + "/verify/" + l.VerifyCode,
		USCC:      strPtr(l.USCC),
	}
	if l.SupersededBy.Valid {
		lj.SupersededBy = &l.SupersededBy.Int64
	}
	return lj
}

// lettersJSON converts a case's letters.
// caseLetters are the letters of a case as its detail shows them.
func (s *Server) caseLetters(ctx context.Context, kind string, id int64) (*[]letterJSON, error) {
	ls, err := s.db.LettersOf(ctx, kind, strconv.FormatInt(id, 10))
	if err != nil {
		return nil, err
	}
	lj := s.lettersJSON(ls)
	return &lj, nil
}

func (s *Server) lettersJSON(ls []storage.Letter) []letterJSON {
	out := make([]letterJSON, 0, len(ls))
	for _, l := range ls {
		out = append(out, s.toLetterJSON(l))
	}
	return out
}

// canSeeLetter: an enterprise sees letters addressed to it, a department those it issued; the credit office and
// admins all. A channel operator sees only the withdrawal letters of orders sent to its channel (visibleLetter).
func canSeeLetter(p *principal, l storage.Letter) bool {
	switch p.Role {
	case domain.RoleCreditOffice, domain.RoleAdmin:
		return true
	case domain.RoleEnterprise:
		return l.USCC.Valid && l.USCC.String == p.USCC.String
	case domain.RoleDepartment:
		return l.DepartmentID.Valid && l.DepartmentID.String == p.DepartmentID.String
	}
	return false
}

func (s *Server) visibleLetter(c *fiber.Ctx) (storage.Letter, error) {
	return loadVisible(c, s.db.GetLetter, func(l storage.Letter) (bool, error) {
		p := principalOf(c)
		if p.Role == domain.RoleChannelOperator {
			return s.channelMayReadLetter(c, p, l)
		}
		if canSeeLetter(p, l) {
			return true, nil
		}
		// Letters issued by someone else may still belong to a case the caller handles (see LetterReadableVia).
		agency := ""
		if p.Role == domain.RoleAgency {
			agency = p.Login
		}
		dept := ""
		if p.Role == domain.RoleDepartment {
			dept = p.DepartmentID.String
		}
		return s.db.LetterReadableVia(c.UserContext(), l.ID, dept, agency)
	})
}

func (s *Server) getLetter(c *fiber.Ctx) error {
	l, err := s.visibleLetter(c)
	if err != nil {
		return err
	}
	return c.JSON(s.toLetterJSON(l))
}

func (s *Server) getLetterPDF(c *fiber.Ctx) error {
	l, err := s.visibleLetter(c)
	if err != nil {
		return err
	}
	return s.sendLetterPDF(c, l, "letter-"+strconv.FormatInt(l.ID, 10)+".pdf")
}

// sendLetterPDF answers a letter's PDF inline, with its hash for those who check the copy they hold.
func (s *Server) sendLetterPDF(c *fiber.Ctx, l storage.Letter, filename string) error {
	pdf, err := s.db.LetterPDF(c.UserContext(), l.ID)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, `inline; filename="`+filename+`"`)
	c.Set("X-Content-SHA256", l.SHA256)
	return c.Send(pdf)
}

// verifyPage is public: anyone holding a letter checks it is genuine by its code, typed in any case, with or
// without dashes; /verify alone (or with ?code=) shows the form to type one.
func (s *Server) verifyPage(c *fiber.Ctx) error {
	typed := c.Params("code")
	if u, err := url.PathUnescape(typed); err == nil {
		typed = u
	}
	typed = strings.TrimSpace(typed)
	if typed == "" {
		typed = strings.TrimSpace(c.Query("code"))
		if typed == "" {
			return s.page(c, "verify", pageData{Title: "文书核验", Data: map[string]any{"Form": true}})
		}
		if code := letters.NormalizeVerifyCode(typed); code != "" {
			return c.Redirect("/verify/"+code, fiber.StatusSeeOther)
		}
	}
	code := letters.NormalizeVerifyCode(typed)
	var l storage.Letter
	err := storage.ErrNotFound
	if code != "" {
		l, err = s.db.LetterByVerifyCode(c.UserContext(), code)
	}
	if err != nil {
		c.Status(fiber.StatusNotFound)
		return s.page(c, "verify", pageData{Title: "文书核验", Data: map[string]any{"Found": false, "Form": true, "Code": typed}})
	}
	if strings.Contains(c.Get(fiber.HeaderAccept), "application/json") {
		lj := s.toLetterJSON(l)
		lj.USCC = nil
		return c.JSON(lj)
	}
	return s.page(c, "verify", pageData{Title: "文书核验", Data: map[string]any{"Found": true, "Code": code,
		"Letter": s.toLetterJSON(l), "Concerns": letterConcerns(l)}})
}

// letterConcerns says which record a letter concerns, for letters addressed to someone else than the
// enterprise (a 告知函 goes to the channels): the enterprise and the decision, from the letter's data.
func letterConcerns(l storage.Letter) string {
	var d map[string]any
	if json.Unmarshal(l.Data, &d) != nil {
		return ""
	}
	str := func(keys ...string) string {
		for _, k := range keys {
			if v, ok := d[k].(string); ok && strings.TrimSpace(v) != "" {
				return strings.TrimSpace(v)
			}
		}
		return ""
	}
	decision := str("DecisionNo", "decision_no")
	if decision == "" {
		return ""
	}
	out := str("EnterpriseName", "enterprise_name")
	if uscc := str("USCC", "uscc"); uscc != "" {
		out += "（统一社会信用代码：" + uscc + "）"
	}
	title := str("RecordTitle")
	if title == "" {
		title = "行政处罚信息"
	}
	return out + "的" + title + "（行政处罚决定书文号：" + decision + "）"
}

// channelMayReadLetter admits a channel operator to the 告知函 of a withdrawal order that includes its channel;
// every other letter is hidden from it.
func (s *Server) channelMayReadLetter(c *fiber.Ctx, p *principal, l storage.Letter) (bool, error) {
	if l.Kind != "withdrawal_notice" || l.CaseKind != "withdrawal" || !p.ChannelID.Valid {
		return false, nil
	}
	wid, err := strconv.ParseInt(l.CaseID, 10, 64)
	if err != nil {
		return false, nil
	}
	return s.db.WithdrawalIncludesChannel(c.UserContext(), wid, p.ChannelID.String)
}
