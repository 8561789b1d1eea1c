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
	// lookupcode prints a case's 查询码 in groups of four (3F2A-91C0-BB7E).
	"lookupcode": LookupCode,
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
