package httpapi

import (
	"errors"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"xinyong/activities"
	"xinyong/domain"
	"xinyong/storage"
	"xinyong/templates/letters"
)

// A new activation code from the window comes as a short stored letter (企业账号激活通知书) that prints it with its
// QR code; the code is stored, hashed, together with the letter, and each new letter supersedes the earlier ones.

type activationCodeJSON struct {
	USCC      string    `json:"uscc"`
	Name      string    `json:"enterprise_name"`
	Code      string    `json:"code"`
	ExpiresAt time.Time `json:"expires_at"`
	URL       string    `json:"activation_url"`
	// LetterID and LetterURL are the stored 企业账号激活通知书 that prints the code (its PDF at LetterURL).
	LetterID   int64  `json:"letter_id"`
	LetterURL  string `json:"letter_url"`
	VerifyCode string `json:"verify_code"`
}

// activationLetterCaseKind files an enterprise's activation letters under the enterprise (case id: its USCC).
const activationLetterCaseKind = "enterprise"

// issueActivationCodeFor gives an enterprise without an account a new code at the window, printed on a new
// version of its activation letter; the older codes stop working.
func (s *Server) issueActivationCodeFor(c *fiber.Ctx, raw string) (activationCodeJSON, error) {
	ctx := c.UserContext()
	uscc, err := domain.NormalizeUSCC(raw)
	if err != nil {
		return activationCodeJSON{}, invalidField("uscc", "invalid_uscc", err.Error())
	}
	e, err := s.db.GetEnterprise(ctx, uscc)
	if err != nil {
		return activationCodeJSON{}, err
	}
	if _, err := s.db.UserByLogin(ctx, uscc); err == nil {
		return activationCodeJSON{}, errAlreadyActivated
	} else if !errors.Is(err, storage.ErrNotFound) {
		return activationCodeJSON{}, err
	}
	code, err := storage.NewActivationCode()
	if err != nil {
		return activationCodeJSON{}, err
	}
	now := time.Now()
	content := letters.Content{Kind: letters.KindActivationCode, Data: letters.ActivationCodeData{
		Issue:          letters.Issue{Issuer: activities.CreditOfficeIssuer, Date: domain.Today().Time(domain.Shanghai)},
		EnterpriseName: e.Name, USCC: uscc, ActivationCode: code, Contact: "信用办窗口",
	}}
	// Rendering and storing a letter is the letter activity's work; here it runs in the request, as the window
	// waits for the letter to print it.
	acts := &activities.Activities{DB: s.db, Log: s.log, BaseURL: s.cfg.BaseURL}
	ref, err := acts.IssueLetter(ctx, activities.IssueLetterInput{
		CaseKind: activationLetterCaseKind, CaseID: uscc, Version: storage.NextLetterVersion, USCC: uscc,
		Content: &content, IssuedBy: principalOf(c).Login,
		Data: map[string]any{"uscc": uscc, "enterprise_name": e.Name, "issued_by": principalOf(c).Login},
	})
	if err != nil {
		return activationCodeJSON{}, err
	}
	return activationCodeJSON{USCC: uscc, Name: e.Name, Code: code, ExpiresAt: now.Add(storage.ActivationCodeTTL),
		URL: s.cfg.BaseURL + "/activate?uscc=" + uscc, LetterID: ref.ID, VerifyCode: ref.VerifyCode,
		LetterURL: "/api/v1/letters/" + strconv.FormatInt(ref.ID, 10) + "/pdf"}, nil
}
