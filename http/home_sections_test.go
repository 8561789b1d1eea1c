package httpapi

import (
	"bytes"
	"html/template"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// oldHomeSection is how the home page's template wrote a section before it was written in Go.
const oldHomeSection = `{{range .}}
<section class="card">
  <h2>{{.Title}}</h2>
  {{if and .Export .Rows}}<p class="export" id="task-export">导出待办事项：<a href="/api/v1/tasks/export?format=xlsx" id="task-export-xlsx">Excel（.xlsx）</a> · <a href="/api/v1/tasks/export?format=csv" id="task-export-csv">CSV</a></p>{{end}}
  {{if .Rows}}
  <table>
    <thead><tr>{{range .Headers}}<th>{{.}}</th>{{end}}{{if .Linked}}<th></th>{{end}}</tr></thead>
    <tbody>
    {{range .Rows}}<tr{{if .Alert}} class="alert"{{end}}>{{range .Cells}}<td>{{.}}</td>{{end}}{{with .Href}}<td><a href="{{.}}">查看</a></td>{{end}}</tr>{{end}}
    </tbody>
  </table>
  {{else}}
  <p class="muted">{{.Empty}}</p>
  {{end}}
  {{with .Note}}<p class="muted note">{{.}}</p>{{end}}
</section>
{{end}}`

// betweenTags is white space between two tags, which a browser does not show.
var betweenTags = regexp.MustCompile(`>\s+<`)

// The home page's sections are written in Go, not by html/template: they must come out as html/template wrote them
// (which also writes "+" as "&#43;", read the same by a browser) but for the white space between tags, and a link
// that is not one of the site's paths must not be followed.
func TestHomeSectionsAreWrittenAsTheTemplateWroteThem(t *testing.T) {
	old := template.Must(template.New("sections").Parse(oldHomeSection))
	secs := []homeSection{
		{Title: "待办事项 <1>", Headers: []string{"决定书", "企业 & 名称"}, Linked: true, Export: true, Note: "统计于 <今天>", Rows: []homeRow{
			{Cells: []string{"京市监罚〔2026〕1号", "<script>alert('x')</script> & \"引号\" +1"}, Href: "/penalties/1", Alert: true},
			{Cells: []string{"2"}, Href: "/objections?open=1&status=verifying"},
			{Cells: []string{"3"}},
		}},
		{Title: "空", Headers: []string{"a"}, Empty: "暂无 <记录>。", Export: true},
		{Title: "计数", Headers: []string{"在办"}, Rows: []homeRow{{Cells: []string{"7"}}}},
	}
	var want bytes.Buffer
	require.NoError(t, old.Execute(&want, secs))
	got := sectionsHTML(secs)
	norm := func(s string) string {
		return strings.ReplaceAll(strings.TrimSpace(betweenTags.ReplaceAllString(s, "><")), "&#43;", "+")
	}
	require.Equal(t, norm(want.String()), norm(string(got)))

	for _, hostile := range []string{"javascript:alert(1)", "//evil.example/x", "https://evil.example/", `/x" onclick="alert(1)`} {
		got := string(sectionsHTML([]homeSection{{Rows: []homeRow{{Cells: []string{"x"}, Href: hostile}}}}))
		require.Contains(t, got, `<tr><td>x</td><td><a href="#">查看</a></td></tr>`, hostile)
		require.NotContains(t, got, "evil", hostile)
		require.NotContains(t, got, "javascript", hostile)
	}
}
