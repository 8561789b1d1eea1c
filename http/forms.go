package httpapi

import (
	"mime"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
)

// Page forms: a refused form is shown again with what the user typed and each message next to its field; a form
// that succeeded answers 303 to the page that shows the result, so a reload never submits it again (issue 16).

// formField is the hidden input naming the form a request comes from (its id on the page), so that the page shown
// again marks the fields of that form only.
const formField = "_form"

// flashCookie carries the one-line confirmation of a form that succeeded across its 303 to the result page.
const flashCookie = "xinyong_flash"

const refusalKey = "form_refusal"

// refused records that the form of this request was refused for e: the page rendered next shows e next to its
// field (or at the top of the form when e names none) and keeps the values the user typed. It returns e.
func refused(c *fiber.Ctx, e *Error) *Error {
	c.Locals(refusalKey, e)
	return e
}

// refusedWith is refused for a message about one field that no other code produced.
func refusedField(c *fiber.Ctx, field, code, message string) *Error {
	return refused(c, invalidField(field, code, message))
}

// fillRefusal puts the refused form's state into a page about to be rendered.
func fillRefusal(c *fiber.Ctx, d *pageData) {
	e, _ := c.Locals(refusalKey).(*Error)
	if e == nil {
		return
	}
	d.Form = c.FormValue(formField)
	d.Problem = e.Message
	d.Errors = map[string]string{}
	for _, f := range errorFields(e) {
		if _, dup := d.Errors[f.field]; !dup {
			d.Errors[f.field] = f.message
		}
	}
	d.Values = postedValues(c)
	if c.Response().StatusCode() < 400 {
		c.Status(statusOf(e))
	}
}

type fieldMessage struct{ field, message string }

// errorFields are the fields an error names with their messages: the one of details.field, and those of
// details.errors (a list of {field, message}) when a validator reported several at once.
func errorFields(e *Error) []fieldMessage {
	var out []fieldMessage
	if list, ok := e.Details["errors"].([]map[string]string); ok {
		for _, m := range list {
			out = append(out, fieldMessage{formFieldName(m["field"]), m["message"]})
		}
	}
	if f, ok := e.Details["field"].(string); ok && f != "" {
		out = append([]fieldMessage{{formFieldName(f), e.Message}}, out...)
	} else if f := codeFields[e.Code]; f != "" && len(out) == 0 {
		out = append(out, fieldMessage{f, e.Message})
	}
	return out
}

// codeFields are the fields of the refusals a workflow answers a step with (they carry a code, not a field).
var codeFields = map[string]string{
	"reason_required": "reason", "requirements_required": "requirements", "witness_required": "witness",
	"electronic_consent_required": "electronic_consent", "invalid_delivered_on": "delivered_on",
	"delivered_on_in_future": "delivered_on", "delivered_before_decision": "delivered_on",
	"invalid_delivery_method": "method", "invalid_due_on": "due_on", "invalid_reference": "reference",
	"invalid_score": "score", "attendee_name_required": "attendee_name", "invalid_attendee_name": "attendee_name",
	"invalid_attendee_role": "attendee_role", "usccs_required": "usccs", "invalid_decided_on": "decided_on",
	"empty_row": "attended",
}

// formFieldName is the name of the input an API field is typed into ("corrections.fine_amount_yuan" is the
// correction form's fine_amount_yuan).
func formFieldName(f string) string {
	if rest, ok := strings.CutPrefix(f, "corrections."); ok {
		return "correct_" + rest
	}
	if i := strings.LastIndexByte(f, '.'); i >= 0 {
		return f[i+1:]
	}
	return f
}

// secretFields are never typed back into a form.
var secretFields = map[string]bool{csrfField: true, "password": true, "current_password": true, "new_password": true,
	"confirm_password": true, "secret": true}

// postedValues are the text fields of the request's form.
func postedValues(c *fiber.Ctx) map[string][]string {
	out := map[string][]string{}
	ct, _, _ := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if ct == fiber.MIMEMultipartForm {
		if form, err := c.MultipartForm(); err == nil {
			for k, v := range form.Value {
				out[k] = v
			}
		}
	} else {
		c.Request().PostArgs().VisitAll(func(k, v []byte) {
			out[string(k)] = append(out[string(k)], string(v))
		})
	}
	for k := range secretFields {
		delete(out, k)
	}
	return out
}

// seeOther answers a form that succeeded: 303 to the page that shows its result, with a confirmation shown once there.
func (s *Server) seeOther(c *fiber.Ctx, path, flash string) error {
	if flash != "" {
		if utf8.RuneCountInString(flash) > 300 {
			flash = string([]rune(flash)[:300])
		}
		c.Cookie(&fiber.Cookie{Name: flashCookie, Value: url.QueryEscape(flash), Path: "/", HTTPOnly: true,
			SameSite: fiber.CookieSameSiteLaxMode, Secure: s.secure(c), MaxAge: 120})
	}
	return c.Redirect(path, fiber.StatusSeeOther)
}

// takeFlash returns the confirmation a form left for this page and forgets it.
func (s *Server) takeFlash(c *fiber.Ctx) string {
	v := c.Cookies(flashCookie)
	if v == "" || c.Method() != fiber.MethodGet {
		return ""
	}
	c.Cookie(&fiber.Cookie{Name: flashCookie, Value: "", Path: "/", HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode,
		Secure: s.secure(c), MaxAge: -1})
	msg, err := url.QueryUnescape(v)
	if err != nil || !utf8.ValidString(msg) || utf8.RuneCountInString(msg) > 300 {
		return ""
	}
	return msg
}

// FieldError is the message for a field of the refused form ("" for every other form and field).
func (d pageData) FieldError(form, field string) string {
	if form == "" || form != d.Form {
		return ""
	}
	return d.Errors[field]
}

// FieldValue is what the user typed into a field of the refused form ("" for every other form).
func (d pageData) FieldValue(form, field string) string {
	if form == "" || form != d.Form {
		return ""
	}
	if v := d.Values[field]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// FieldValues is every value of a field of the refused form (checkboxes).
func (d pageData) FieldValues(form, field string) []string {
	if form == "" || form != d.Form {
		return nil
	}
	return d.Values[field]
}

// FormProblem is the message of the refused form when it names no field, shown at the form's top ("" for every
// other form, and when the message stands next to its field).
func (d pageData) FormProblem(form string) string {
	if form == "" || form != d.Form || len(d.Errors) > 0 {
		return ""
	}
	return d.Problem
}

// formValues are every value of a form field that may repeat (checkboxes, multiple selects), from a multipart or
// a URL-encoded form.
func formValues(c *fiber.Ctx, field string) []string {
	if form, err := c.MultipartForm(); err == nil {
		return form.Value[field]
	}
	var out []string
	c.Request().PostArgs().VisitAll(func(k, v []byte) {
		if string(k) == field {
			out = append(out, string(v))
		}
	})
	return out
}
