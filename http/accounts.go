package httpapi

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"

	"xinyong/domain"
	"xinyong/storage"
)

// Administration of accounts (departments, users of every role), own passwords, and the activation of enterprise
// accounts with the code printed on the 信用修复告知书 (issue 15).

var (
	departmentIDRe = regexp.MustCompile(`^[a-z][a-z0-9-]{1,31}$`)
	jurisdictionRe = regexp.MustCompile(`^(national|[0-9]{6})$`)
	sectorRe       = regexp.MustCompile(`^[a-z][a-z_]{0,39}$`)
	loginRe        = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$`)

	errPasswordChangeRequired = newError(domain.KindForbidden, "password_change_required", "首次登录或密码已重置，请先修改密码")
	errWrongPassword          = invalidField("current_password", "wrong_password", "当前密码不正确")
	errActivationThrottled    = newError(domain.KindRateLimited, "too_many_attempts", "激活码错误次数过多，该统一社会信用代码的激活已锁定15分钟，请稍后再试")
	errActivationCode         = invalidField("code", "invalid_activation_code", "激活码不正确、已使用或已过期。请核对《信用修复告知书》上的激活码，或到信用办窗口申请新的激活码")
	errAlreadyActivated       = newError(domain.KindConflict, "account_exists", "该企业的账号已激活，请直接登录；忘记密码请到信用办窗口办理")
)

// plainText checks a short free-text field: required or not, at most max characters, no control characters.
func plainText(field, label, v string, required bool, max int) (string, error) {
	v = strings.TrimSpace(v)
	switch {
	case v == "" && required:
		return "", invalidField(field, "missing_"+field, "请填写"+label)
	case utf8.RuneCountInString(v) > max:
		return "", invalidField(field, "invalid_"+field, label+"过长（不超过"+strconv.Itoa(max)+"字）")
	case !utf8.ValidString(v) || strings.IndexFunc(v, unicode.IsControl) >= 0:
		return "", invalidField(field, "invalid_"+field, label+"含有不可见的控制字符")
	}
	return v, nil
}

type departmentInput struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	FullName     string `json:"full_name"`
	ShortName    string `json:"short_name"`
	DocCode      string `json:"doc_code"`
	Jurisdiction string `json:"jurisdiction"`
	Sector       string `json:"sector"`
	Contact      string `json:"contact"`
}

func (in departmentInput) validate() (storage.Department, error) {
	d := storage.Department{ID: strings.TrimSpace(in.ID), Jurisdiction: strings.TrimSpace(in.Jurisdiction), Sector: strings.TrimSpace(in.Sector)}
	if !departmentIDRe.MatchString(d.ID) {
		return d, invalidField("id", "invalid_department_id", "部门代码应为2至32位小写字母、数字或连字符，以字母开头（如 scjgj）")
	}
	var err error
	for _, f := range []struct {
		field, label, value string
		required            bool
		max                 int
		dst                 *string
	}{
		{"name", "部门名称", in.Name, true, 100, &d.Name},
		{"full_name", "部门全称（含城市，如镇江市市场监督管理局）", in.FullName, true, 100, &d.FullName},
		{"short_name", "部门简称", in.ShortName, true, 50, &d.ShortName},
		{"doc_code", "机关代字", in.DocCode, true, 10, &d.DocCode},
		{"contact", "联系方式", in.Contact, false, 200, &d.Contact},
	} {
		if *f.dst, err = plainText(f.field, f.label, f.value, f.required, f.max); err != nil {
			return d, err
		}
	}
	if d.Jurisdiction == "" {
		d.Jurisdiction = domain.National
	}
	if !jurisdictionRe.MatchString(d.Jurisdiction) {
		return d, invalidField("jurisdiction", "invalid_jurisdiction", "管辖地区应为6位行政区划代码，全国适用的请留空")
	}
	if d.Sector == "" {
		d.Sector = "general"
	}
	if !sectorRe.MatchString(d.Sector) {
		return d, invalidField("sector", "invalid_sector", "请选择行业领域")
	}
	return d, nil
}

func (s *Server) listDepartmentsAPI(c *fiber.Ctx) error {
	ds, err := s.db.ListDepartments(c.UserContext())
	return answerAll(c, ds, err)
}

func (s *Server) createDepartmentAPI(c *fiber.Ctx) error {
	return createJSON(c, s.createDepartment, asIs, nil)
}

func (s *Server) createDepartment(c *fiber.Ctx, in departmentInput) (storage.Department, error) {
	d, err := in.validate()
	if err != nil {
		return d, err
	}
	if err := s.db.CreateDepartment(c.UserContext(), d, s.auditBy(c)); err != nil {
		return d, err
	}
	return s.db.GetDepartment(c.UserContext(), d.ID)
}

// auditBy is the audit entry of the caller, for storage functions that write the change and its record together.
func (s *Server) auditBy(c *fiber.Ctx) storage.AuditEntry {
	p := principalOf(c)
	return storage.AuditEntry{Actor: p.Login, Role: string(p.Role)}
}

type userInput struct {
	Login        string `json:"login"`
	DisplayName  string `json:"display_name"`
	Role         string `json:"role"`
	USCC         string `json:"uscc"`
	DepartmentID string `json:"department_id"`
	ChannelID    string `json:"channel_id"`
	IsLead       bool   `json:"is_lead"`
	Password     string `json:"password"` // optional: a temporary password is generated when empty
}

type userJSON struct {
	ID                 int64       `json:"id"`
	Login              string      `json:"login"`
	DisplayName        string      `json:"display_name"`
	Role               domain.Role `json:"role"`
	RoleLabel          string      `json:"role_label"`
	USCC               *string     `json:"uscc"`
	DepartmentID       *string     `json:"department_id"`
	ChannelID          *string     `json:"channel_id"`
	IsLead             bool        `json:"is_lead"`
	Disabled           bool        `json:"disabled"`
	MustChangePassword bool        `json:"must_change_password"`
	CreatedAt          time.Time   `json:"created_at"`
	LastLoginAt        *time.Time  `json:"last_login_at"`
	// TemporaryPassword is shown once, in the answer that created or reset it.
	TemporaryPassword string `json:"temporary_password,omitempty"`
}

func toUserJSON(u storage.User) userJSON {
	j := userJSON{ID: u.ID, Login: u.Login, DisplayName: u.DisplayName, Role: u.Role, RoleLabel: u.Role.Label(),
		USCC: strPtr(u.USCC), DepartmentID: strPtr(u.DepartmentID), ChannelID: strPtr(u.ChannelID), IsLead: u.IsLead,
		Disabled: u.Disabled, MustChangePassword: u.MustChangePassword, CreatedAt: u.CreatedAt}
	if u.LastLoginAt.Valid {
		j.LastLoginAt = &u.LastLoginAt.Time
	}
	return j
}

// validate checks a new account; the binding must follow the role (an enterprise its USCC, a department user its
// department, an operator its channel) so that authorization never guesses.
func (in userInput) validate() (storage.NewUser, error) {
	nu := storage.NewUser{Login: strings.TrimSpace(in.Login), Role: domain.Role(strings.TrimSpace(in.Role))}
	known := false
	for _, r := range domain.Roles {
		known = known || r == nu.Role
	}
	if !known {
		return nu, invalidField("role", "invalid_role", "角色应为 enterprise、department、credit_office、agency、channel_operator 或 admin")
	}
	if nu.Role == domain.RoleEnterprise {
		uscc, err := domain.NormalizeUSCC(in.USCC)
		if err != nil {
			return nu, invalidField("uscc", "invalid_uscc", err.Error())
		}
		nu.USCC = uscc
		if nu.Login == "" {
			nu.Login = uscc
		}
	}
	if !loginRe.MatchString(nu.Login) {
		return nu, invalidField("login", "invalid_login", "用户名应为3至64位字母、数字、点、下划线或连字符")
	}
	var err error
	if nu.DisplayName, err = plainText("display_name", "名称", in.DisplayName, true, 100); err != nil {
		return nu, err
	}
	nu.DepartmentID, nu.ChannelID = strings.TrimSpace(in.DepartmentID), strings.TrimSpace(in.ChannelID)
	switch {
	case nu.Role == domain.RoleDepartment && nu.DepartmentID == "":
		return nu, invalidField("department_id", "missing_department_id", "认定部门的用户须指定所属部门")
	case nu.Role != domain.RoleDepartment && nu.DepartmentID != "":
		return nu, invalidField("department_id", "unexpected_department_id", "只有认定部门的用户才能指定所属部门")
	case nu.Role == domain.RoleChannelOperator && nu.ChannelID == "":
		return nu, invalidField("channel_id", "missing_channel_id", "公示渠道操作员须指定所属渠道")
	case nu.Role != domain.RoleChannelOperator && nu.ChannelID != "":
		return nu, invalidField("channel_id", "unexpected_channel_id", "只有公示渠道操作员才能指定所属渠道")
	case nu.Role != domain.RoleEnterprise && strings.TrimSpace(in.USCC) != "":
		return nu, invalidField("uscc", "unexpected_uscc", "只有企业账号才能指定统一社会信用代码")
	case in.IsLead && nu.Role != domain.RoleDepartment:
		return nu, invalidField("is_lead", "unexpected_is_lead", "只有认定部门的用户才能设为负责人")
	}
	nu.Password = in.Password
	if nu.Password != "" {
		if err := domain.CheckPassword(nu.Login, nu.Password); err != nil {
			return nu, err
		}
	}
	return nu, nil
}

func (s *Server) listUsersAPI(c *fiber.Ctx) error {
	us, err := s.db.ListUsers(c.UserContext())
	if err != nil {
		return err
	}
	role := c.Query("role")
	out := page[userJSON]{Items: keepMap(us, func(u storage.User) bool { return role == "" || string(u.Role) == role }, toUserJSON)}
	if out.Items == nil {
		out.Items = []userJSON{}
	}
	return c.JSON(out)
}

func (s *Server) createUserAPI(c *fiber.Ctx) error { return createJSON(c, s.createUser, asIs, nil) }

func (s *Server) createUser(c *fiber.Ctx, in userInput) (userJSON, error) {
	nu, err := in.validate()
	if err != nil {
		return userJSON{}, err
	}
	temporary := ""
	if nu.Password == "" {
		if temporary, err = storage.TemporaryPassword(); err != nil {
			return userJSON{}, err
		}
		nu.Password = temporary
	}
	u, err := s.db.CreateUser(c.UserContext(), nu, in.IsLead, s.auditBy(c))
	if err != nil {
		return userJSON{}, err
	}
	j := toUserJSON(u)
	j.TemporaryPassword = temporary
	return j, nil
}

func (s *Server) disableUserAPI(c *fiber.Ctx) error {
	u, err := withPathID(c, s.disableUser)
	return answerJSON(c, u, err, plainView(toUserJSON))
}

func (s *Server) disableUser(c *fiber.Ctx, id int64) (storage.User, error) {
	if id == principalOf(c).ID {
		return storage.User{}, newError(domain.KindConflict, "cannot_disable_self", "不能停用当前登录的账号")
	}
	return s.db.SetUserDisabled(c.UserContext(), id, true, s.auditBy(c))
}

// enableUserAPI re-enables a disabled account; its password is unchanged and it signs in again.
func (s *Server) enableUserAPI(c *fiber.Ctx) error {
	u, err := s.enableUser(c)
	return answerJSON(c, u, err, plainView(toUserJSON))
}

// enableUser re-enables the account named in the path (the API and the admin page).
func (s *Server) enableUser(c *fiber.Ctx) (storage.User, error) {
	return withPathID(c, func(c *fiber.Ctx, id int64) (storage.User, error) {
		return s.db.SetUserDisabled(c.UserContext(), id, false, s.auditBy(c))
	})
}

func (s *Server) adminUsersEnable(c *fiber.Ctx) error {
	u, err := s.enableUser(c)
	if err != nil {
		return err
	}
	return s.renderAdminUsers(c, "", "已启用用户 "+u.Login, nil)
}

func (s *Server) resetPasswordAPI(c *fiber.Ctx) error {
	j, err := withPathID(c, s.resetPassword)
	return answerJSON(c, j, err, asIs)
}

func (s *Server) resetPassword(c *fiber.Ctx, id int64) (userJSON, error) {
	temporary, err := storage.TemporaryPassword()
	if err != nil {
		return userJSON{}, err
	}
	u, err := s.db.ResetPassword(c.UserContext(), id, temporary, s.auditBy(c))
	if err != nil {
		return userJSON{}, err
	}
	j := toUserJSON(u)
	j.TemporaryPassword = temporary
	return j, nil
}

type passwordInput struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

func (s *Server) changeOwnPasswordAPI(c *fiber.Ctx) error {
	var in passwordInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if err := s.changeOwnPassword(c, in); err != nil {
		return err
	}
	return c.JSON(passwordChangedJSON{Changed: true})
}

func (s *Server) changeOwnPassword(c *fiber.Ctx, in passwordInput) error {
	p := principalOf(c)
	if in.NewPassword == in.CurrentPassword {
		return invalidField("new_password", "password_unchanged", "新密码不能与当前密码相同。"+domain.PasswordPolicy)
	}
	if err := domain.CheckPassword(p.Login, in.NewPassword); err != nil {
		var ie *domain.InputError
		if errors.As(err, &ie) {
			return invalidField("new_password", ie.Code, ie.Message)
		}
		return err
	}
	keep := ""
	if p.viaSession {
		keep = p.sessionTok
	}
	err := s.db.ChangePassword(c.UserContext(), p.ID, in.CurrentPassword, in.NewPassword, keep)
	if errors.Is(err, storage.ErrBadCredentials) {
		return errWrongPassword
	}
	return err
}

// passwordGate holds an account that must change its password on the password page: pages redirect there and
// API calls answer 403 password_change_required, except what changing the password needs.
func (s *Server) passwordGate(c *fiber.Ctx) error {
	p := principalOf(c)
	if p == nil || !p.MustChangePassword {
		return c.Next()
	}
	switch path := c.Path(); {
	case path == "/me/password", path == apiPrefix+"/me/password", path == apiPrefix+"/me", path == "/logout",
		strings.HasPrefix(path, "/static/"), path == "/healthz", path == "/readyz":
		return c.Next()
	case strings.HasPrefix(path, "/api/"):
		return errPasswordChangeRequired
	default:
		return c.Redirect("/me/password", fiber.StatusSeeOther)
	}
}

func (s *Server) passwordPage(c *fiber.Ctx) error { return s.renderPassword(c, "", "") }

func (s *Server) renderPassword(c *fiber.Ctx, problem, flash string) error {
	st := fiber.StatusOK
	if problem != "" {
		st = fiber.StatusUnprocessableEntity
	}
	return s.page(c.Status(st), "password", pageData{Title: "修改密码", Flash: flash, Data: map[string]any{
		"Problem": problem, "Policy": domain.PasswordPolicy, "Forced": principalOf(c).MustChangePassword}})
}

func (s *Server) passwordSubmit(c *fiber.Ctx) error {
	in := passwordInput{CurrentPassword: c.FormValue("current_password"), NewPassword: c.FormValue("new_password")}
	if in.NewPassword != c.FormValue("confirm_password") {
		return s.renderPassword(c, refusedField(c, "confirm_password", "password_mismatch", "两次输入的新密码不一致").Message, "")
	}
	if err := s.changeOwnPassword(c, in); err != nil {
		if e, ok := formProblem(err); ok {
			return s.renderPassword(c, refused(c, e).Message, "")
		}
		return err
	}
	principalOf(c).MustChangePassword = false
	return s.seeOther(c, "/me/password", "密码已修改，其他设备上的登录已退出")
}

// Enterprise activation.

type activationInput struct {
	USCC     string `json:"uscc"`
	Code     string `json:"code"`
	Password string `json:"password"`
}

func (s *Server) activate(c *fiber.Ctx, in activationInput) (storage.User, error) {
	uscc, err := domain.NormalizeUSCC(in.USCC)
	if err != nil {
		return storage.User{}, invalidField("uscc", "invalid_uscc", err.Error())
	}
	if strings.TrimSpace(in.Code) == "" || len(in.Code) > 64 {
		return storage.User{}, errActivationCode
	}
	if err := domain.CheckPassword(uscc, in.Password); err != nil {
		return storage.User{}, err
	}
	u, err := s.db.ActivateEnterprise(c.UserContext(), uscc, in.Code, in.Password, c.IP())
	switch {
	case errors.Is(err, storage.ErrActivationThrottled):
		return u, errActivationThrottled
	case errors.Is(err, storage.ErrActivationCode):
		return u, errActivationCode
	case errors.Is(err, storage.ErrAlreadyActivated):
		return u, errAlreadyActivated
	}
	return u, err
}

func (s *Server) activateAPI(c *fiber.Ctx) error {
	return createJSON(c, s.activate, plainView(toUserJSON), nil)
}

func (s *Server) activatePage(c *fiber.Ctx) error {
	return s.renderActivate(c, activationInput{USCC: c.Query("uscc"), Code: c.Query("code")}, "")
}

func (s *Server) renderActivate(c *fiber.Ctx, in activationInput, problem string) error {
	st := fiber.StatusOK
	if problem != "" {
		st = fiber.StatusUnprocessableEntity
	}
	// Like the login form, the page has no session to hold a CSRF token: a double-submit cookie stands in.
	tok := randomToken()
	c.Cookie(&fiber.Cookie{Name: activateCSRFCookie, Value: tok, Path: "/activate", HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode, Secure: s.secure(c), MaxAge: 3600})
	return s.page(c.Status(st), "activate", pageData{Title: "企业账号激活", CSRF: tok, Data: map[string]any{
		"USCC": in.USCC, "Code": in.Code, "Problem": problem, "Policy": domain.PasswordPolicy}})
}

const activateCSRFCookie = "xinyong_activate_csrf"

func (s *Server) activateSubmit(c *fiber.Ctx) error {
	cookieTok := c.Cookies(activateCSRFCookie)
	if cookieTok == "" || cookieTok != c.FormValue(csrfField) {
		return errCSRF
	}
	in := activationInput{USCC: c.FormValue("uscc"), Code: c.FormValue("code"), Password: c.FormValue("password")}
	if in.Password != c.FormValue("confirm_password") {
		return s.renderActivate(c, in, refusedField(c, "confirm_password", "password_mismatch", "两次输入的密码不一致").Message)
	}
	u, err := s.activate(c, in)
	if err != nil {
		if e, ok := pageProblem(err); ok {
			return s.renderActivate(c, in, refused(c, e).Message)
		}
		return err
	}
	return s.page(c, "activate", pageData{Title: "企业账号激活", ReplaceURL: "/login", Data: map[string]any{"Done": true, "Login": u.Login}})
}

// activationLimiter slows one address guessing codes across many USCCs (the per-USCC lock is in storage).
func activationLimiter() fiber.Handler {
	return limiter.New(limiter.Config{
		Max: 20, Expiration: time.Minute,
		LimitReached: func(c *fiber.Ctx) error {
			return newError(domain.KindRateLimited, "too_many_requests", "激活请求过于频繁，请稍后再试")
		},
	})
}

func (s *Server) issueActivationCodeAPI(c *fiber.Ctx) error {
	a, err := s.issueActivationCodeFor(c, c.Params("uscc"))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(a)
}

// Admin pages.

func (s *Server) adminUsersPage(c *fiber.Ctx) error { return s.renderAdminUsers(c, "", "", nil) }

func (s *Server) renderAdminUsers(c *fiber.Ctx, problem, flash string, created *userJSON) error {
	ctx := c.UserContext()
	us, err := s.db.ListUsers(ctx)
	if err != nil {
		return err
	}
	chs, ds, err := s.channelsAndDepartments(ctx)
	if err != nil {
		return err
	}
	rows := mapOf(us, toUserJSON)
	// The list names what a user belongs to (department, channel, enterprise), not an internal id.
	names := map[string]string{}
	for _, d := range ds {
		names["d:"+d.ID] = d.Name
	}
	for _, ch := range chs {
		names["c:"+ch.ID] = ch.Name
	}
	belongs := map[int64]string{}
	for _, u := range us {
		switch {
		case u.DepartmentID.Valid:
			belongs[u.ID] = names["d:"+u.DepartmentID.String]
		case u.ChannelID.Valid:
			belongs[u.ID] = names["c:"+u.ChannelID.String]
		default:
			belongs[u.ID] = u.USCC.String
		}
	}
	st := fiber.StatusOK
	if problem != "" {
		st = fiber.StatusUnprocessableEntity
	}
	replace := ""
	if created != nil {
		replace = "/admin/users" // the one-time password is shown once; a reload shows the list
	}
	return s.page(c.Status(st), "admin_users", pageData{Title: "用户管理", Flash: flash, ReplaceURL: replace, Data: map[string]any{
		"Users": rows, "Departments": ds, "Channels": chs, "Roles": domain.Roles, "Problem": problem, "Created": created,
		"Belongs": belongs, "FormatTime": func(t *time.Time) string {
			if t == nil {
				return "从未登录"
			}
			return t.In(shanghai).Format("2006-01-02 15:04")
		}}})
}

func (s *Server) adminUsersCreate(c *fiber.Ctx) error {
	in := userInput{Login: c.FormValue("login"), DisplayName: c.FormValue("display_name"), Role: c.FormValue("role"),
		USCC: c.FormValue("uscc"), IsLead: c.FormValue("is_lead") == "1"}
	// The form offers every binding; only the one of the chosen role counts.
	switch domain.Role(in.Role) {
	case domain.RoleDepartment:
		in.DepartmentID = c.FormValue("department_id")
	case domain.RoleChannelOperator:
		in.ChannelID = c.FormValue("channel_id")
	}
	if domain.Role(in.Role) != domain.RoleEnterprise {
		in.USCC = ""
	}
	if domain.Role(in.Role) != domain.RoleDepartment {
		in.IsLead = false
	}
	j, err := s.createUser(c, in)
	if err != nil {
		if e, ok := formProblem(err); ok {
			return s.renderAdminUsers(c, refused(c, e).Message, "", nil)
		}
		return err
	}
	return s.renderAdminUsers(c, "", "已创建用户 "+j.Login, &j)
}

func (s *Server) adminUsersDisable(c *fiber.Ctx) error {
	u, err := withPathID(c, s.disableUser)
	if err != nil {
		if e, ok := formProblem(err); ok {
			return s.renderAdminUsers(c, refused(c, e).Message, "", nil)
		}
		return err
	}
	return s.seeOther(c, "/admin/users", "已停用用户 "+u.Login)
}

func (s *Server) adminUsersReset(c *fiber.Ctx) error {
	j, err := withPathID(c, s.resetPassword)
	if err != nil {
		return err
	}
	return s.renderAdminUsers(c, "", "已重置 "+j.Login+" 的密码", &j)
}

func (s *Server) adminDepartmentsPage(c *fiber.Ctx) error {
	return s.renderAdminDepartments(c, departmentInput{}, "", "")
}

func (s *Server) renderAdminDepartments(c *fiber.Ctx, form departmentInput, problem, flash string) error {
	ds, err := s.db.ListDepartments(c.UserContext())
	if err != nil {
		return err
	}
	st := fiber.StatusOK
	if problem != "" {
		st = fiber.StatusUnprocessableEntity
	}
	rows := make([]departmentRow, 0, len(ds))
	for _, d := range ds {
		rows = append(rows, departmentRow{Department: d, SectorLabel: labelOf(departmentSectors, d.Sector), JurisdictionLabel: jurisdictionLabel(d.Jurisdiction)})
	}
	if form.Jurisdiction == domain.National {
		form.Jurisdiction = ""
	}
	return s.page(c.Status(st), "admin_departments", pageData{Title: "部门管理", Flash: flash, Data: map[string]any{
		"Departments": rows, "Form": form, "Problem": problem, "Sectors": departmentSectors}})
}

// departmentSectors are the sectors a department may belong to; the sector chooses the rule sets of its cases.
var departmentSectors = []option{{"general", "通用（适用国家发展改革委《信用修复管理办法》）"},
	{"market_supervision", "市场监督管理（适用市场监管总局的信用修复规定）"}}

// departmentRow is a department as the admin list shows it: sector and jurisdiction in words.
type departmentRow struct {
	storage.Department
	SectorLabel, JurisdictionLabel string
}

func labelOf(opts []option, v string) string {
	for _, o := range opts {
		if o.Value == v {
			label, _, _ := strings.Cut(o.Label, "（")
			return label
		}
	}
	return v
}

func jurisdictionLabel(j string) string {
	if j == domain.National || j == "" {
		return "全国"
	}
	return "行政区划 " + j
}

func (s *Server) adminDepartmentsCreate(c *fiber.Ctx) error {
	in := departmentInput{ID: c.FormValue("id"), Name: c.FormValue("name"), FullName: c.FormValue("full_name"),
		ShortName: c.FormValue("short_name"), DocCode: c.FormValue("doc_code"), Jurisdiction: c.FormValue("jurisdiction"),
		Sector: c.FormValue("sector"), Contact: c.FormValue("contact")}
	d, err := s.createDepartment(c, in)
	if err != nil {
		if e, ok := formProblem(err); ok {
			return s.renderAdminDepartments(c, in, refused(c, e).Message, "")
		}
		return err
	}
	return s.seeOther(c, "/admin/departments", "已新增部门 "+d.FullName)
}

// The window's page for a new activation code: the short letter the office prints and hands over.
func (s *Server) activationCodePage(c *fiber.Ctx) error {
	return s.page(c, "activation_code", pageData{Title: "企业账号激活码", Data: map[string]any{}})
}

func (s *Server) activationCodeSubmit(c *fiber.Ctx) error {
	uscc := strings.TrimSpace(c.FormValue("uscc"))
	a, err := s.issueActivationCodeFor(c, uscc)
	if err != nil {
		if e, ok := pageProblem(err); ok {
			return s.page(c.Status(statusOf(e)), "activation_code", pageData{Title: "企业账号激活码", Data: map[string]any{"Problem": refused(c, e).Message, "USCC": uscc}})
		}
		return err
	}
	return s.page(c, "activation_code", pageData{Title: "企业账号激活码", ReplaceURL: "/enterprise-accounts/activation-codes", Data: map[string]any{"Issued": a,
		"Expires": a.ExpiresAt.In(shanghai).Format("2006年1月2日")}})
}

// passwordChangedJSON answers a changed password.
type passwordChangedJSON struct {
	Changed bool `json:"changed"`
}
