// Package templates holds the Chinese web pages (html/template) and static assets; letters live in templates/letters.
package templates

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"path"
	"strings"
	"sync"
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
	"join": strings.Join,
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
