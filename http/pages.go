package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"xinyong/domain"
	"xinyong/storage"
	"xinyong/templates"
)

// pageData is what every page template receives.
type pageData struct {
	Title string
	User  *storage.User
	CSRF  string
	Menu  []menuItem
	Flash string
	Data  any
	// Query is the page's own filters (its query without the cursor), for links that export what the page shows.
	Query template.URL

	// The refused form (forms.go): its id, its message, the message of each field and the values typed.
	Form    string
	Problem string
	Errors  map[string]string
	Values  map[string][]string
	// ReplaceURL, on the answer to a POST that shows a one-time result (a new token, an activation code), makes
	// the browser remember the page as this address, so a reload shows it again instead of submitting twice.
	ReplaceURL string
}

type menuItem struct{ Href, Label string }

// homeSection is one table on a role's home page.
type homeSection struct {
	Title   string
	Headers []string
	Rows    []homeRow
	Empty   string
	Linked  bool
	Note    string // shown under the table, e.g. when its figures were counted
	// Export offers the rows for download (the task list's Excel and CSV export).
	Export bool
}

type homeRow struct {
	Cells []string
	Href  string
	Alert bool
}

// sectionsHTML is the sections of a home page as cards: each its title, its table (or what it says when it has no
// rows) and its note. Written by html/template, every text and link of a home page was a reflective call to its
// escapers: a quarter of the page's processor time at a few hundred cells, and still a sixth of it with only the
// rows written in Go (issue 17). Here each text is HTML-escaped (template.HTMLEscape), and a link is kept only when
// it is a path of this site (the rows link to the records, cases and lists of the site, nowhere else).
func sectionsHTML(secs []homeSection) template.HTML {
	var b strings.Builder
	b.Grow(sectionsSize(secs)) // grown by doubling, the builder discarded as much as it kept (issue 17)
	for _, sec := range secs {
		sec.write(&b)
	}
	return template.HTML(b.String()) // #nosec G203 -- every text is escaped (write)
}

// sectionsSize is about the room sectionsHTML needs for secs: their texts and, per cell and row, its markup.
func sectionsSize(secs []homeSection) int {
	n := 0
	for _, sec := range secs {
		n += 400 + len(sec.Title) + len(sec.Empty) + len(sec.Note)
		for _, h := range sec.Headers {
			n += 9 + len(h)
		}
		for _, r := range sec.Rows {
			n += 64 + len(r.Href)
			for _, c := range r.Cells {
				n += 9 + len(c)
			}
		}
	}
	return n
}

// escapeHTML writes s HTML-escaped. template.HTMLEscapeString hands back s itself when it has nothing to escape
// (nearly every cell), where template.HTMLEscape needed a copy of every text as bytes.
func escapeHTML(b *strings.Builder, s string) { b.WriteString(template.HTMLEscapeString(s)) }

// write writes the section as HTML, escaping every text.
func (sec homeSection) write(b *strings.Builder) {
	b.WriteString("<section class=\"card\">\n<h2>")
	escapeHTML(b, sec.Title)
	b.WriteString("</h2>\n")
	if sec.Export && len(sec.Rows) > 0 {
		b.WriteString(`<p class="export" id="task-export">导出待办事项：<a href="/api/v1/tasks/export?format=xlsx" id="task-export-xlsx">Excel（.xlsx）</a> · <a href="/api/v1/tasks/export?format=csv" id="task-export-csv">CSV</a></p>` + "\n")
	}
	if len(sec.Rows) > 0 {
		b.WriteString("<table>\n<thead><tr>")
		for _, h := range sec.Headers {
			b.WriteString("<th>")
			escapeHTML(b, h)
			b.WriteString("</th>")
		}
		if sec.Linked {
			b.WriteString("<th></th>")
		}
		b.WriteString("</tr></thead>\n<tbody>\n")
		sec.writeRows(b)
		b.WriteString("\n</tbody>\n</table>\n")
	} else {
		b.WriteString(`<p class="muted">`)
		escapeHTML(b, sec.Empty)
		b.WriteString("</p>\n")
	}
	if sec.Note != "" {
		b.WriteString(`<p class="muted note">`)
		escapeHTML(b, sec.Note)
		b.WriteString("</p>\n")
	}
	b.WriteString("</section>\n")
}

// writeRows writes the section's rows as table rows.
func (sec homeSection) writeRows(b *strings.Builder) {
	for _, r := range sec.Rows {
		b.WriteString("<tr")
		if r.Alert {
			b.WriteString(` class="alert"`)
		}
		b.WriteByte('>')
		for _, cell := range r.Cells {
			b.WriteString("<td>")
			escapeHTML(b, cell)
			b.WriteString("</td>")
		}
		if r.Href != "" {
			href := "#"
			if strings.HasPrefix(r.Href, "/") && !strings.HasPrefix(r.Href, "//") && !strings.ContainsAny(r.Href, "\\\"<> \t\r\n") {
				href = r.Href
			}
			b.WriteString(`<td><a href="`)
			escapeHTML(b, href)
			b.WriteString(`">查看</a></td>`)
		}
		b.WriteString("</tr>")
	}
}

// option is one choice of a select on a page.
type option struct{ Value, Label string }

// labelledOptions are the choices of a vocabulary, each with its Chinese label.
func labelledOptions[T interface {
	~string
	Label() string
}](values []T) []option {
	out := make([]option, 0, len(values))
	for _, v := range values {
		out = append(out, option{string(v), v.Label()})
	}
	return out
}

// withRows fills a home page section with a row for each item (row writes it).
func withRows[T any](sec homeSection, items []T, row func(T) homeRow) homeSection {
	sec.Rows = slices.Grow(sec.Rows, len(items))
	for _, it := range items {
		sec.Rows = append(sec.Rows, row(it))
	}
	return sec
}

// noticeSection is an enterprise's inbox of one kind of case on its home page: of its read latest notifications,
// at most keep of that kind, each linked to its case.
func noticeSection(h *homeData, kind, title, empty string, read, keep int) homeSection {
	ns := h.notifications[:min(read, len(h.notifications))]
	note := homeSection{Title: title, Headers: []string{"时间", "通知", "内容"}, Empty: empty, Linked: true}
	for _, n := range ns {
		if n.CaseKind == kind && len(note.Rows) < keep {
			note.Rows = append(note.Rows, homeRow{Cells: []string{n.CreatedAt.In(shanghai).Format("2006-01-02 15:04"), n.Title, n.Body},
				Href: caseHref(n.CaseKind, n.CaseID)})
		}
	}
	return note
}

// countsSection is a home page section of one row of counts linking to href, flagged when alert.
func countsSection(title string, headers []string, href string, alert bool, counts ...string) []homeSection {
	return []homeSection{{Title: title, Headers: headers, Rows: []homeRow{{Cells: counts, Href: href, Alert: alert}}, Linked: true}}
}

// page renders a page inside the layout, filling in the caller and the CSRF token.
func (s *Server) page(c *fiber.Ctx, name string, d pageData) error {
	if p := principalOf(c); p != nil {
		d.User = &p.User
		if p.viaSession {
			d.CSRF = p.session.CSRFToken
		}
		d.Menu = menus[p.Role]
	}
	d.Query = exportQuery(c)
	if d.Flash == "" {
		d.Flash = s.takeFlash(c)
	}
	fillRefusal(c, &d)
	if d.ReplaceURL != "" {
		c.Set(fiber.HeaderCacheControl, "no-store")
	}
	// Written straight into the response's pooled body: a buffer of the page's own was allocated, grown and dropped
	// on every request, work for the collector under load (issue 17).
	c.Type("html", "utf-8")
	if err := templates.Render(c.Response().BodyWriter(), name, d); err != nil {
		c.Response().ResetBody()
		return err
	}
	return nil
}

// wantsHTML tells page requests (browsers) from API calls.
func wantsHTML(c *fiber.Ctx) bool {
	if strings.HasPrefix(c.Path(), "/api/") || c.Path() == "/healthz" || c.Path() == "/readyz" {
		return false
	}
	return strings.Contains(c.Get(fiber.HeaderAccept), "text/html") || c.Method() == fiber.MethodPost
}

func renderErrorPage(c *fiber.Ctx, e *Error) error {
	title := "操作未完成"
	status := statusOf(e)
	if status == fiber.StatusNotFound {
		title = "页面不存在"
	} else if status >= 500 {
		title = "系统错误"
	}
	var buf bytes.Buffer
	d := pageData{Title: title, Data: map[string]any{"Title": title, "Message": e.Message, "Code": e.Code}}
	if p := principalOf(c); p != nil {
		d.User = &p.User
		if p.viaSession {
			d.CSRF = p.session.CSRFToken
		}
		d.Menu = menus[p.Role]
	}
	if err := templates.Render(&buf, "error", d); err != nil {
		return c.Status(status).SendString(e.Message)
	}
	c.Type("html", "utf-8")
	return c.Status(status).Send(buf.Bytes())
}

func (s *Server) static(c *fiber.Ctx) error {
	name := "static/" + c.Params("*")
	b, err := fs.ReadFile(templates.Static, name)
	if err != nil {
		return errNotFound
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	c.Type(strings.TrimPrefix(name[strings.LastIndex(name, "."):], "."))
	return c.Send(b)
}

// favicon answers the address browsers ask for on their own with the site's icon (SVG, which every
// supported browser takes from /favicon.ico too), so that it never shows up as a 404.
func (s *Server) favicon(c *fiber.Ctx) error {
	b, err := fs.ReadFile(templates.Static, "static/favicon.svg")
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=86400")
	c.Set(fiber.HeaderContentType, "image/svg+xml")
	return c.Send(b)
}

// homeSources add what a role sees on its home page, in order, from what homeData read for the role.
var homeSources = []func(s *Server, c *fiber.Ctx, p *principal, h *homeData) ([]homeSection, error){(*Server).taskSection,
	(*Server).objectionHomeSections, (*Server).penaltyHomeSections, (*Server).repairHomeSections,
	(*Server).trainingHomeSections, (*Server).withdrawalHomeSections, (*Server).urgeHomeSection}

var homeHeadings = map[domain.Role][2]string{
	domain.RoleEnterprise:      {"我的信用记录", "查看本企业的行政处罚公示记录、信用修复进度和通知。"},
	domain.RoleDepartment:      {"部门待办", "本部门需要办理的送达、受理、核实和异议事项。"},
	domain.RoleCreditOffice:    {"信用办工作台", "一窗受理的申请、逾期事项和撤下公示的跟踪。"},
	domain.RoleAgency:          {"信用服务机构工作台", "承办的信用修复培训场次。"},
	domain.RoleChannelOperator: {"公示渠道工作台", "需要本渠道确认撤下或更正的公示记录。"},
	domain.RoleAdmin:           {"系统管理", "用户、访问令牌与规则数据的维护。"},
}

func (s *Server) homePage(c *fiber.Ctx) error {
	p := principalOf(c)
	data, err := s.homeData(c.UserContext(), p)
	if err != nil {
		return err
	}
	var sections []homeSection
	for _, src := range homeSources {
		sec, err := src(s, c, p, data)
		if err != nil {
			return err
		}
		sections = append(sections, sec...)
	}
	h := homeHeadings[p.Role]
	return s.page(c, "home", pageData{Title: h[0], Data: map[string]any{"Heading": h[0], "Intro": h[1], "Sections": sectionsHTML(sections)}})
}

// taskFilter scopes the task list to the principal's binding.
func taskFilter(p *principal) storage.TaskFilter {
	return storage.TaskFilter{Role: p.Role, DepartmentID: p.DepartmentID.String, ChannelID: p.ChannelID.String, USCC: p.USCC.String,
		UserID: p.ID}
}

func (s *Server) taskSection(c *fiber.Ctx, p *principal, h *homeData) ([]homeSection, error) {
	ts := h.tasks
	ts, channels := oneItemPerCaseStep(ts)
	sec := homeSection{Title: "待办事项", Headers: []string{"事项", "案件", "办理期限", "状态"}, Empty: "暂无待办事项。", Linked: true,
		Export: true}
	if p.Role == domain.RoleDepartment {
		sec.Headers = append(sec.Headers, "承办人")
	}
	for _, t := range ts {
		state := "办理中"
		if t.Overdue {
			state = "已逾期"
		}
		title := t.Title
		if n := channels[t.ID]; n > 1 {
			title = fmt.Sprintf("%s（共%d个渠道）", title, n)
		}
		cells := []string{title, caseLabel(t.CaseKind) + " " + t.CaseID, t.DueOnString(), state}
		if p.Role == domain.RoleDepartment {
			cells = append(cells, assigneeLabel(t, p.ID))
		}
		sec.Rows = append(sec.Rows, homeRow{Cells: cells, Href: taskHref(t, p.Role), Alert: t.Overdue})
	}
	return []homeSection{sec}, nil
}

func caseLabel(kind string) string {
	switch kind {
	case "penalty":
		return "处罚"
	case "repair":
		return "信用修复"
	case "objection":
		return "异议"
	case "withdrawal":
		return "撤下公示"
	case "publication":
		return "公示"
	case "training":
		return "培训"
	}
	return kind
}

func caseHref(kind, id string) string {
	switch kind {
	case "penalty":
		return "/penalties/" + id
	case "repair":
		return "/repairs/" + id
	case "objection":
		return "/objections/" + id
	case "withdrawal":
		return "/withdrawals/" + id
	case "publication":
		return "/channels/queue"
	case "training":
		return "/trainings/" + id
	case "penalty_import":
		return "/penalties/imports/" + id
	}
	return ""
}

// Admin token management.

type tokenRow struct {
	ID        int64
	Login     string
	Name      string
	CreatedAt string
	Revoked   bool
}

func (s *Server) adminTokensPage(c *fiber.Ctx) error { return s.renderAdminTokens(c, "", "", nil) }

func (s *Server) renderAdminTokens(c *fiber.Ctx, newToken, flash string, problem *Error) error {
	ctx := c.UserContext()
	users, err := s.db.ListUsers(ctx)
	if err != nil {
		return err
	}
	var rows []tokenRow
	for _, u := range users {
		ts, err := s.db.ListTokens(ctx, u.ID)
		if err != nil {
			return err
		}
		for _, t := range ts {
			rows = append(rows, tokenRow{ID: t.ID, Login: u.Login, Name: t.Name, CreatedAt: t.CreatedAt.In(shanghai).Format("2006-01-02 15:04"), Revoked: t.RevokedAt.Valid})
		}
	}
	d := pageData{Title: "用户与令牌", Flash: flash, Data: map[string]any{"Users": users, "Tokens": rows, "NewToken": newToken}}
	if newToken != "" {
		d.ReplaceURL = "/admin/tokens" // the token is shown once; a reload shows the list
	}
	return s.page(c, "admin_tokens", d)
}

func (s *Server) adminTokensCreate(c *fiber.Ctx) error {
	p := principalOf(c)
	u, err := s.db.UserByLogin(c.UserContext(), strings.TrimSpace(c.FormValue("login")))
	if errors.Is(err, storage.ErrNotFound) {
		return s.renderAdminTokens(c.Status(fiber.StatusUnprocessableEntity), "", "", refusedField(c, "login", "unknown_login", "用户不存在"))
	}
	if err != nil {
		return err
	}
	tok, t, err := s.db.CreateTokenTTL(c.UserContext(), u.ID, c.FormValue("name"), s.cfg.TokenTTL)
	if err != nil {
		return err
	}
	if err := s.db.Audit(c.UserContext(), storage.AuditEntry{Actor: p.Login, Role: string(p.Role), Action: "token.create", CaseKind: "user", CaseID: u.Login}, map[string]any{"token_id": t.ID}); err != nil {
		return err
	}
	return s.renderAdminTokens(c, tok, "已为 "+u.Login+" 签发令牌", nil)
}

func (s *Server) adminTokensRevoke(c *fiber.Ctx) error {
	p := principalOf(c)
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.db.RevokeToken(c.UserContext(), id, 0); err != nil {
		return err
	}
	if err := s.db.Audit(c.UserContext(), storage.AuditEntry{Actor: p.Login, Role: string(p.Role), Action: "token.revoke", CaseKind: "token", CaseID: strconv.FormatInt(id, 10)}, nil); err != nil {
		return err
	}
	return s.seeOther(c, "/admin/tokens", fmt.Sprintf("令牌 %d 已吊销", id))
}

func (s *Server) adminRevokeSessions(c *fiber.Ctx) error {
	p := principalOf(c)
	u, err := s.db.UserByLogin(c.UserContext(), c.Params("login"))
	if err != nil {
		return err
	}
	n, err := s.db.RevokeUserSessions(c.UserContext(), u.ID)
	if err != nil {
		return err
	}
	var nt int64
	if c.FormValue("include_tokens") == "1" { // revoke the user's bearer tokens with the sessions
		if nt, err = s.db.RevokeUserTokens(c.UserContext(), u.ID); err != nil {
			return err
		}
	}
	if err := s.db.Audit(c.UserContext(), storage.AuditEntry{Actor: p.Login, Role: string(p.Role), Action: "session.revoke_all", CaseKind: "user", CaseID: u.Login}, map[string]any{"sessions": n, "tokens": nt}); err != nil {
		return err
	}
	return s.seeOther(c, "/admin/tokens", fmt.Sprintf("已注销 %s 的 %d 个会话、%d 个令牌", u.Login, n, nt))
}

// exportQuery is the request's query as a page's export links repeat it: re-encoded (so nothing but plain
// parameters gets into the link), without the list's cursor and the export's own format.
func exportQuery(c *fiber.Ctx) template.URL {
	q, err := url.ParseQuery(string(c.Request().URI().QueryString()))
	if err != nil {
		return ""
	}
	q.Del("cursor")
	q.Del("format")
	return template.URL(q.Encode()) // #nosec G203 -- url.Values.Encode escapes every value
}
