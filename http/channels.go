package httpapi

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"xinyong/domain"
	"xinyong/storage"
)

// The channel registry (公示渠道): every principal lists the channels; the credit office and admins add and
// change them, on the API and on the /channels page. A webhook channel's secret is write-only.

var channelAdmins = []domain.Role{domain.RoleCreditOffice, domain.RoleAdmin}

// channelJSON is a channel as the API shows it; delivery settings only to the credit office and admins, and the
// secret never (has_secret says whether one is set).
type channelJSON struct {
	ID               string     `json:"id"`
	Name             string     `json:"name"`
	Kind             string     `json:"kind"`
	KindLabel        string     `json:"kind_label"`
	DeadlineWorkdays int        `json:"deadline_workdays"`
	Active           bool       `json:"active"`
	DepartmentID     *string    `json:"department_id"`
	EndpointURL      *string    `json:"endpoint_url,omitempty"`
	HasSecret        *bool      `json:"has_secret,omitempty"`
	UpdatedAt        *time.Time `json:"updated_at,omitempty"`
}

func toChannelJSON(ch storage.Channel, full bool) channelJSON {
	cj := channelJSON{ID: ch.ID, Name: ch.Name, Kind: string(ch.Kind), KindLabel: ch.KindLabel(), DeadlineWorkdays: ch.DeadlineWorkdays, Active: ch.Active}
	if ch.DepartmentID != "" {
		d := ch.DepartmentID
		cj.DepartmentID = &d
	}
	if full {
		ep, has, at := ch.EndpointURL, ch.Secret != "", ch.UpdatedAt
		cj.EndpointURL, cj.HasSecret, cj.UpdatedAt = &ep, &has, &at
	}
	return cj
}

func isChannelAdmin(p *principal) bool {
	return p.Role == domain.RoleCreditOffice || p.Role == domain.RoleAdmin
}

func (s *Server) listChannels(c *fiber.Ctx) error {
	cs, err := s.db.ListChannels(c.UserContext())
	if err != nil {
		return err
	}
	full := isChannelAdmin(principalOf(c))
	out := page[channelJSON]{Items: []channelJSON{}}
	for _, ch := range cs {
		out.Items = append(out.Items, toChannelJSON(ch, full))
	}
	return c.JSON(out)
}

func (s *Server) getChannel(c *fiber.Ctx) error {
	ch, err := s.db.GetChannel(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(toChannelJSON(ch, true))
}

// channelInput is a channel as the API and the form receive it. Active and Secret are pointers: an omitted
// active means true on create and unchanged on update; an omitted or empty secret keeps the stored one.
type channelInput struct {
	ID               string  `json:"id"`
	Name             string  `json:"name"`
	Kind             string  `json:"kind"`
	DeadlineWorkdays int     `json:"deadline_workdays"`
	Active           *bool   `json:"active"`
	EndpointURL      string  `json:"endpoint_url"`
	Secret           *string `json:"secret"`
	DepartmentID     *string `json:"department_id"`
}

// merge applies the input to a channel (a new one, or the stored one on update).
func (in channelInput) merge(ch storage.Channel) storage.Channel {
	ch.Name, ch.Kind, ch.DeadlineWorkdays, ch.EndpointURL = in.Name, domain.ChannelKind(in.Kind), in.DeadlineWorkdays, in.EndpointURL
	if in.Active != nil {
		ch.Active = *in.Active
	}
	if in.Secret != nil && *in.Secret != "" {
		ch.Secret = *in.Secret
	}
	if in.DepartmentID != nil {
		ch.DepartmentID = *in.DepartmentID
	}
	if ch.Kind == domain.ChannelManual {
		// A manual channel has no system to call; a secret left behind from its webhook days is dropped.
		ch.Secret = ""
	}
	ch.Normalize()
	return ch
}

// checkChannel validates a channel and its department, answering the error model.
func (s *Server) checkChannel(c *fiber.Ctx, ch storage.Channel) error {
	if err := ch.Validate(); err != nil {
		return channelFieldError(err)
	}
	if err := s.checkChannelEndpoint(c, ch); err != nil {
		return err
	}
	if ch.DepartmentID != "" {
		if _, err := s.db.GetDepartment(c.UserContext(), ch.DepartmentID); errors.Is(err, storage.ErrNotFound) {
			return invalidField("department_id", "unknown_department", "所属部门不存在")
		} else if err != nil {
			return err
		}
	}
	return nil
}

func channelFieldError(err error) error {
	var fe *storage.FieldError
	if errors.As(err, &fe) {
		return invalidField(fe.Field, fe.Code, fe.Message)
	}
	return err
}

var errChannelExists = newError(domain.KindConflict, "channel_exists", "该渠道编号已存在")

// saveChannel creates (existing nil) or updates a channel and audits it; the secret is never logged.
func (s *Server) saveChannel(c *fiber.Ctx, in channelInput, existing *storage.Channel) (storage.Channel, error) {
	ctx := c.UserContext()
	var ch storage.Channel
	if existing == nil {
		ch = in.merge(storage.Channel{ID: in.ID, Active: true})
	} else {
		ch = in.merge(*existing)
	}
	if err := s.checkChannel(c, ch); err != nil {
		return ch, err
	}
	action := "channel.update"
	var err error
	if existing == nil {
		action = "channel.create"
		err = s.db.CreateChannel(ctx, ch)
	} else {
		err = s.db.UpdateChannel(ctx, ch)
	}
	if errors.Is(err, storage.ErrConflict) {
		return ch, errChannelExists
	}
	if err != nil {
		return ch, channelFieldError(err)
	}
	secretChanged := existing == nil && ch.Secret != "" || existing != nil && existing.Secret != ch.Secret
	if err := s.audit(c, action, "channel", ch.ID, map[string]any{
		"name": ch.Name, "kind": ch.Kind, "deadline_workdays": ch.DeadlineWorkdays, "active": ch.Active,
		"endpoint_url": ch.EndpointURL, "department_id": ch.DepartmentID, "secret_changed": secretChanged,
	}); err != nil {
		return ch, err
	}
	return s.db.GetChannel(ctx, ch.ID)
}

func (s *Server) createChannel(c *fiber.Ctx) error {
	return createJSON(c, func(c *fiber.Ctx, in channelInput) (storage.Channel, error) { return s.saveChannel(c, in, nil) },
		plainView(func(ch storage.Channel) channelJSON { return toChannelJSON(ch, true) }), nil)
}

func (s *Server) updateChannel(c *fiber.Ctx) error {
	existing, err := s.db.GetChannel(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	var in channelInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if in.ID != "" && in.ID != existing.ID {
		return invalidField("id", "id_mismatch", "渠道编号不能修改")
	}
	if in.Active == nil {
		in.Active = &existing.Active
	}
	ch, err := s.saveChannel(c, in, &existing)
	if err != nil {
		return err
	}
	return c.JSON(toChannelJSON(ch, true))
}

// Pages.

func (s *Server) channelsPage(c *fiber.Ctx) error {
	return s.renderChannels(c, channelInput{Kind: string(domain.ChannelManual), DeadlineWorkdays: 3}, "", nil)
}

func (s *Server) renderChannels(c *fiber.Ctx, form channelInput, flash string, problem *Error) error {
	ctx := c.UserContext()
	cs, depts, err := s.channelsAndDepartments(ctx)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, d := range depts {
		names[d.ID] = d.Name
	}
	if problem != nil {
		c.Status(statusOf(problem))
	}
	formDept := ""
	if form.DepartmentID != nil {
		formDept = *form.DepartmentID
	}
	return s.page(c, "channels", pageData{Title: "公示渠道", Flash: flash, Data: map[string]any{
		"Channels": cs, "Departments": depts, "DeptNames": names, "Form": form, "Problem": problemText(c, problem),
		"FormActive": form.Active == nil || *form.Active, "FormDept": formDept,
	}})
}

// problemText is the message of a refused form, recorded for its fields (forms.go).
func problemText(c *fiber.Ctx, e *Error) string {
	if e == nil {
		return ""
	}
	return refused(c, e).Message
}

// formChannel reads the channel form.
func formChannel(c *fiber.Ctx) channelInput {
	days, _ := strconv.Atoi(strings.TrimSpace(c.FormValue("deadline_workdays")))
	active := c.FormValue("active") == "1"
	secret := c.FormValue("secret")
	dept := strings.TrimSpace(c.FormValue("department_id"))
	return channelInput{ID: strings.TrimSpace(c.FormValue("id")), Name: c.FormValue("name"), Kind: c.FormValue("kind"),
		DeadlineWorkdays: days, Active: &active, EndpointURL: c.FormValue("endpoint_url"), Secret: &secret, DepartmentID: &dept}
}

func (s *Server) channelsCreateSubmit(c *fiber.Ctx) error {
	in := formChannel(c)
	ch, err := s.saveChannel(c, in, nil)
	if err != nil {
		if e, ok := pageProblem(err); ok {
			in.Secret = nil
			return s.renderChannels(c, in, "", e)
		}
		return err
	}
	return s.seeOther(c, "/channels", "已新增公示渠道："+ch.Name)
}

func (s *Server) channelEditPage(c *fiber.Ctx) error {
	ch, err := s.db.GetChannel(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return s.renderChannelEdit(c, ch, "", nil)
}

func (s *Server) renderChannelEdit(c *fiber.Ctx, ch storage.Channel, flash string, problem *Error) error {
	depts, err := s.db.ListDepartments(c.UserContext())
	if err != nil {
		return err
	}
	if problem != nil {
		c.Status(statusOf(problem))
	}
	return s.page(c, "channels_edit", pageData{Title: "修改公示渠道", Flash: flash, Data: map[string]any{
		"C": ch, "HasSecret": ch.Secret != "", "Departments": depts, "Problem": problemText(c, problem),
	}})
}

func (s *Server) channelEditSubmit(c *fiber.Ctx) error {
	existing, err := s.db.GetChannel(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	in := formChannel(c)
	in.ID = existing.ID
	ch, err := s.saveChannel(c, in, &existing)
	if err != nil {
		if e, ok := pageProblem(err); ok {
			shown := in.merge(existing)
			return s.renderChannelEdit(c, shown, "", e)
		}
		return err
	}
	return s.seeOther(c, "/channels/"+url.PathEscape(ch.ID), "已保存")
}

// channelsProtocolPage documents the webhook protocol for the implementers of channels' systems.
func (s *Server) channelsProtocolPage(c *fiber.Ctx) error {
	return s.page(c, "channels_protocol", pageData{Title: "公示渠道对接规范", Data: map[string]any{"BaseURL": s.cfg.BaseURL}})
}

// channelsAndDepartments are every publication channel and every department, for the forms that bind to them.
func (s *Server) channelsAndDepartments(ctx context.Context) ([]storage.Channel, []storage.Department, error) {
	cs, err := s.db.ListChannels(ctx)
	if err != nil {
		return nil, nil, err
	}
	ds, err := s.db.ListDepartments(ctx)
	return cs, ds, err
}
