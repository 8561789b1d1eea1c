package httpapi

import (
	"bytes"
	"html/template"
	"testing"

	"github.com/stretchr/testify/require"
)

// The home page's rows are written in Go, not by html/template: they must come out as html/template wrote them
// (which also writes "+" as "&#43;", read the same by a browser), and a link that is not one of the site's paths
// must not be followed.
func TestHomeRowsAreWrittenAsTheTemplateWroteThem(t *testing.T) {
	old := template.Must(template.New("rows").Parse(`{{range .Rows}}<tr{{if .Alert}} class="alert"{{end}}>{{range .Cells}}<td>{{.}}</td>{{end}}{{with .Href}}<td><a href="{{.}}">查看</a></td>{{end}}</tr>{{end}}`))
	sec := homeSection{Rows: []homeRow{
		{Cells: []string{"京市监罚〔2026〕1号", "<script>alert('x')</script> & \"引号\""}, Href: "/penalties/1", Alert: true},
		{Cells: []string{"2"}, Href: "/objections?open=1&status=verifying"},
		{Cells: []string{"3"}},
	}}
	var want bytes.Buffer
	require.NoError(t, old.Execute(&want, sec))
	require.Equal(t, want.String(), string(sec.RowsHTML()))

	for _, hostile := range []string{"javascript:alert(1)", "//evil.example/x", "https://evil.example/", `/x" onclick="alert(1)`} {
		got := string(homeSection{Rows: []homeRow{{Cells: []string{"x"}, Href: hostile}}}.RowsHTML())
		require.Equal(t, `<tr><td>x</td><td><a href="#">查看</a></td></tr>`, got, hostile)
	}
}
