// Package templates holds the Chinese web pages (html/template) and static assets; letters live in templates/letters.
package templates

import (
	"database/sql"
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"xinyong/domain"
)

//go:embed pages/*.html
var pageFS embed.FS

// Static holds the CSS and other assets served under /static/.
//
//go:embed static
var Static embed.FS

var (
	once  sync.Once
	pages map[string]*template.Template
	perr  error
)

// Funcs are available to every page.
var Funcs = template.FuncMap{
	"join":     strings.Join,
	"bjtime":   BeijingTime,
	"filesize": FileSize,
	// Forms (see FormState): {{invalid $ "form-id" "field"}} in the input's tag, {{fielderror $ "form-id" "field"}}
	// after it, {{formval $ "form-id" "field"}} as the value of an input that has none of its own.
	"invalid":     invalidAttrs,
	"fielderror":  fieldError,
	"formval":     formValue,
	"formvals":    formValues,
	"formproblem": formProblem,
	"has":         func(list []string, v string) bool { return slices.Contains(list, v) },
	// lookupcode prints a case's 查询码 in groups of four (3F2A-91C0-BB7E).
	"lookupcode": LookupCode,
}

// FormState is what a page knows about a form the user submitted and the server refused.
type FormState interface {
	FieldError(form, field string) string
	FieldValue(form, field string) string
	FieldValues(form, field string) []string
	FormProblem(form string) string
}

// errorID is the id of the message next to a field.
func errorID(form, field string) string {
	return form + "-" + strings.NewReplacer(".", "-", "_", "-").Replace(field) + "-error"
}

func invalidAttrs(v any, form, field string) template.HTMLAttr {
	st, ok := v.(FormState)
	if !ok || st.FieldError(form, field) == "" {
		return ""
	}
	return template.HTMLAttr(`aria-invalid="true" aria-describedby="` + template.HTMLEscapeString(errorID(form, field)) + `"`)
}

func fieldError(v any, form, field string) template.HTML {
	st, ok := v.(FormState)
	if !ok {
		return ""
	}
	msg := st.FieldError(form, field)
	if msg == "" {
		return ""
	}
	return template.HTML(`<span class="field-error" id="` + template.HTMLEscapeString(errorID(form, field)) + `">` +
		template.HTMLEscapeString(msg) + `</span>`)
}

func formValue(v any, form, field string) string {
	if st, ok := v.(FormState); ok {
		return st.FieldValue(form, field)
	}
	return ""
}

func formValues(v any, form, field string) []string {
	if st, ok := v.(FormState); ok {
		return st.FieldValues(form, field)
	}
	return nil
}

func formProblem(v any, form string) template.HTML {
	st, ok := v.(FormState)
	if !ok {
		return ""
	}
	msg := st.FormProblem(form)
	if msg == "" {
		return ""
	}
	return template.HTML(`<p class="error form-problem" role="alert">` + template.HTMLEscapeString(msg) + `</p>`)
}

// LookupCode prints a stored lookup code (12 characters) in groups of four, as receipts show it.
func LookupCode(code string) string {
	if len(code) != 12 {
		return code
	}
	return code[:4] + "-" + code[4:8] + "-" + code[8:]
}

// BeijingTime prints an instant as every page shows times: in Beijing time, 2026-06-01 09:30; the zero
// time prints as nothing.
func BeijingTime(v any) string {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case *time.Time:
		if x != nil {
			t = *x
		}
	case sql.NullTime:
		t = x.Time
	}
	if t.IsZero() {
		return ""
	}
	return t.In(domain.Shanghai).Format("2006-01-02 15:04")
}

// FileSize prints a size in bytes the way people read it: 860 字节, 12.5 KB, 3.2 MB.
func FileSize(v any) string {
	var n int64
	switch x := v.(type) {
	case int:
		n = int64(x)
	case int64:
		n = x
	case int32:
		n = int64(x)
	}
	switch {
	case n < 1024:
		return fmt.Sprintf("%d 字节", n)
	case n < 1024*1024:
		return strings.TrimSuffix(fmt.Sprintf("%.1f", float64(n)/1024), ".0") + " KB"
	default:
		return strings.TrimSuffix(fmt.Sprintf("%.1f", float64(n)/(1024*1024)), ".0") + " MB"
	}
}

// parse builds one template set per page: the layout plus that page's blocks.
func parse() {
	pages = map[string]*template.Template{}
	layout, err := template.New("layout.html").Funcs(Funcs).ParseFS(pageFS, "pages/layout.html")
	if err != nil {
		perr = fmt.Errorf("templates: layout: %w", err)
		return
	}
	files, _ := fs.Glob(pageFS, "pages/*.html")
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(pageFS, f)
		if err != nil {
			perr = fmt.Errorf("templates: %s: %w", f, err)
			return
		}
		pages[name] = t
	}
}

// Render writes the named page (pages/<name>.html inside the layout).
func Render(w io.Writer, name string, data any) error {
	once.Do(parse)
	if perr != nil {
		return perr
	}
	t, ok := pages[name]
	if !ok {
		return fmt.Errorf("templates: no page %q", name)
	}
	if err := t.ExecuteTemplate(w, "layout.html", data); err != nil {
		return fmt.Errorf("templates: render %s: %w", name, err)
	}
	return nil
}
