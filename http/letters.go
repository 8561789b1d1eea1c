package httpapi

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"

	"xinyong/storage"
)

func init() { modules = append(modules, (*Server).mountLetters) }

func (s *Server) mountLetters(app *fiber.App, api fiber.Router) {
	api.Get("/letters/:id", s.allow(storage.Roles...), s.getLetter)
	api.Get("/letters/:id/pdf", s.allow(storage.Roles...), s.getLetterPDF)
	app.Get("/letters/:id/pdf", s.allow(storage.Roles...), s.getLetterPDF)
	// Codes carry about 60 random bits; the limiter makes guessing slower still, per address.
	app.Get("/verify/:code", limiter.New(limiter.Config{
		Max: 30, Expiration: time.Minute,
		LimitReached: func(c *fiber.Ctx) error {
			return newError(fiber.StatusTooManyRequests, "too_many_requests", "核验请求过于频繁，请稍后再试")
		},
	}), s.verifyPage)
}

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
func (s *Server) lettersJSON(ls []storage.Letter) []letterJSON {
	out := make([]letterJSON, 0, len(ls))
	for _, l := range ls {
		out = append(out, s.toLetterJSON(l))
	}
	return out
}

// canSeeLetter: an enterprise sees letters addressed to it, a department those it issued, a channel operator the
// withdrawal letters; the credit office and admins all.
func canSeeLetter(p *principal, l storage.Letter) bool {
	switch p.Role {
	case storage.RoleCreditOffice, storage.RoleAdmin:
		return true
	case storage.RoleEnterprise:
		return l.USCC.Valid && l.USCC.String == p.USCC.String
	case storage.RoleDepartment:
		return l.DepartmentID.Valid && l.DepartmentID.String == p.DepartmentID.String
	case storage.RoleChannelOperator:
		return l.Kind == "withdrawal_notice"
	}
	return false
}

func (s *Server) visibleLetter(c *fiber.Ctx) (storage.Letter, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return storage.Letter{}, errNotFound
	}
	l, err := s.db.GetLetter(c.UserContext(), id)
	if err != nil {
		return storage.Letter{}, err
	}
	p := principalOf(c)
	if !canSeeLetter(p, l) {
		// Letters issued by someone else may still belong to a case the caller handles (see LetterReadableVia).
		agency := ""
		if p.Role == storage.RoleAgency {
			agency = p.Login
		}
		dept := ""
		if p.Role == storage.RoleDepartment {
			dept = p.DepartmentID.String
		}
		ok, err := s.db.LetterReadableVia(c.UserContext(), l.ID, dept, agency)
		if err != nil {
			return storage.Letter{}, err
		}
		if !ok {
			return storage.Letter{}, errNotFound
		}
	}
	return l, nil
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
	pdf, err := s.db.LetterPDF(c.UserContext(), l.ID)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, `inline; filename="letter-`+strconv.FormatInt(l.ID, 10)+`.pdf"`)
	c.Set("X-Content-SHA256", l.SHA256)
	return c.Send(pdf)
}

// verifyPage is public: anyone holding a letter checks it is genuine by its code.
func (s *Server) verifyPage(c *fiber.Ctx) error {
	code := strings.ToUpper(strings.TrimSpace(c.Params("code")))
	l, err := s.db.LetterByVerifyCode(c.UserContext(), code)
	if err != nil {
		c.Status(fiber.StatusNotFound)
		return s.page(c, "verify", pageData{Title: "文书核验", Data: map[string]any{"Found": false, "Code": code}})
	}
	if strings.Contains(c.Get(fiber.HeaderAccept), "application/json") {
		lj := s.toLetterJSON(l)
		lj.USCC = nil
		return c.JSON(lj)
	}
	return s.page(c, "verify", pageData{Title: "文书核验", Data: map[string]any{"Found": true, "Code": code, "Letter": s.toLetterJSON(l)}})
}
