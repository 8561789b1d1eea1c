package httpapi

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"xinyong/domain"
	"xinyong/storage"
)

const (
	sessionCookie   = "xinyong_session"
	loginCSRFCookie = "xinyong_login_csrf"
	csrfField       = "_csrf"
	csrfHeader      = "X-CSRF-Token"
)

// principal is the authenticated caller of a request.
type principal struct {
	storage.User
	viaSession bool
	session    storage.Session
	sessionTok string
}

func principalOf(c *fiber.Ctx) *principal {
	p, _ := c.Locals("principal").(*principal)
	return p
}

// authenticate resolves the caller from a bearer token or a session cookie. A bad bearer token is a 401 at once;
// a stale cookie is simply ignored so the login page still shows.
func (s *Server) authenticate(c *fiber.Ctx) error {
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || strings.TrimSpace(tok) == "" {
			return errUnauthorized
		}
		u, err := s.db.TokenUser(c.UserContext(), strings.TrimSpace(tok))
		if errors.Is(err, storage.ErrNotFound) {
			return errUnauthorized
		}
		if err != nil {
			return err
		}
		c.Locals("principal", &principal{User: u})
		return c.Next()
	}
	if tok := c.Cookies(sessionCookie); tok != "" {
		u, sess, err := s.db.SessionUser(c.UserContext(), tok)
		switch {
		case err == nil:
			c.Locals("principal", &principal{User: u, viaSession: true, session: sess, sessionTok: tok})
		case !errors.Is(err, storage.ErrNotFound):
			return err
		}
	}
	return c.Next()
}

// allow admits only the given roles: 401 without credentials, 403 for another role.
func (s *Server) allow(roles ...domain.Role) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := principalOf(c)
		if p == nil {
			return errUnauthorized
		}
		if !slices.Contains(roles, p.Role) {
			return errForbidden
		}
		return c.Next()
	}
}

func isSafeMethod(m string) bool {
	return m == fiber.MethodGet || m == fiber.MethodHead || m == fiber.MethodOptions
}

// csrf checks, for every state-changing request authenticated by the session cookie, that it carries the
// session's CSRF token (form field or header). Bearer-token calls carry no ambient credentials and need none.
func (s *Server) csrf(c *fiber.Ctx) error {
	p := principalOf(c)
	if isSafeMethod(c.Method()) || p == nil || !p.viaSession {
		return c.Next()
	}
	got := c.Get(csrfHeader)
	if got == "" {
		got = c.FormValue(csrfField)
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(p.session.CSRFToken)) != 1 {
		return errCSRF
	}
	return c.Next()
}

func (s *Server) secure(c *fiber.Ctx) bool {
	return s.cfg.SecureCookies || c.Protocol() == "https"
}

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *Server) loginPage(c *fiber.Ctx) error {
	if principalOf(c) != nil {
		return c.Redirect("/", fiber.StatusSeeOther)
	}
	return s.renderLogin(c, "", "")
}

func (s *Server) renderLogin(c *fiber.Ctx, login, problem string) error {
	// Login CSRF: a double-submit token, since there is no session yet to hold one.
	tok := randomToken()
	c.Cookie(&fiber.Cookie{Name: loginCSRFCookie, Value: tok, Path: "/login", HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode, Secure: s.secure(c), MaxAge: 3600})
	status := fiber.StatusOK
	if problem != "" {
		status = fiber.StatusUnauthorized
	}
	return s.page(c.Status(status), "login", pageData{Title: "登录", CSRF: tok, Data: map[string]any{
		"Login": login, "Problem": problem, "Next": s.safeNext(c.Query("next", c.FormValue("next"))),
	}})
}

func (s *Server) loginSubmit(c *fiber.Ctx) error {
	ctx := c.UserContext()
	cookieTok := c.Cookies(loginCSRFCookie)
	if cookieTok == "" || subtle.ConstantTimeCompare([]byte(cookieTok), []byte(c.FormValue(csrfField))) != 1 {
		return errCSRF
	}
	login := strings.TrimSpace(c.FormValue("login"))
	password := c.FormValue("password")
	if len(login) > 200 || len(password) > 1000 {
		return s.renderLogin(c, "", "用户名或密码错误")
	}
	addr := c.IP()
	u, err := s.db.AttemptLogin(ctx, login, password, addr, s.cfg.LoginLimits)
	if errors.Is(err, storage.ErrLoginThrottled) {
		_ = s.db.Audit(ctx, storage.AuditEntry{Actor: login, Role: "", Action: "session.login_throttled", CaseKind: "user", CaseID: login}, map[string]string{"remote_addr": addr})
		return s.page(c.Status(fiber.StatusTooManyRequests), "login", pageData{Title: "登录", CSRF: cookieTok, Data: map[string]any{
			"Login": login, "Problem": errTooManyAttempts.Message, "Next": s.safeNext(c.FormValue("next")),
		}})
	}
	if errors.Is(err, storage.ErrBadCredentials) {
		return s.renderLogin(c, login, "用户名或密码错误")
	}
	if err != nil {
		return err
	}
	tok, _, err := s.db.CreateSession(ctx, u.ID, s.cfg.SessionTTL, addr)
	if err != nil {
		return err
	}
	if err := s.db.MarkLogin(ctx, u.ID); err != nil {
		return err
	}
	if err := s.db.Audit(ctx, storage.AuditEntry{Actor: u.Login, Role: string(u.Role), Action: "session.login", CaseKind: "user", CaseID: u.Login}, map[string]string{"remote_addr": addr}); err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{Name: sessionCookie, Value: tok, Path: "/", HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode, Secure: s.secure(c), MaxAge: int(s.cfg.SessionTTL.Seconds())})
	c.ClearCookie(loginCSRFCookie)
	if u.MustChangePassword {
		return c.Redirect("/me/password", fiber.StatusSeeOther)
	}
	return c.Redirect(s.safeNext(c.FormValue("next")), fiber.StatusSeeOther)
}

func (s *Server) logout(c *fiber.Ctx) error {
	if p := principalOf(c); p != nil && p.viaSession {
		if err := s.db.RevokeSession(c.UserContext(), p.sessionTok); err != nil {
			return err
		}
		if err := s.db.Audit(c.UserContext(), storage.AuditEntry{Actor: p.Login, Role: string(p.Role), Action: "session.logout", CaseKind: "user", CaseID: p.Login}, nil); err != nil {
			return err
		}
	}
	c.Cookie(&fiber.Cookie{Name: sessionCookie, Value: "", Path: "/", HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode, Secure: s.secure(c), MaxAge: -1, Expires: time.Unix(0, 0)})
	return c.Redirect("/login", fiber.StatusSeeOther)
}
