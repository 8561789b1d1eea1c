package httpapi

import (
	"net/http"

	"github.com/stretchr/testify/require"
)

// postSeeOther posts a page form that must succeed: the answer is 303 to the result page, which it then loads
// (with the confirmation the form left there).
func (b *browser) postSeeOther(path string, form map[string][]string) (*http.Response, string) {
	b.e.t.Helper()
	resp, body := b.post(path, form)
	require.Equal(b.e.t, http.StatusSeeOther, resp.StatusCode, "a page form answers 303 after success: %s", body)
	loc := resp.Header.Get("Location")
	require.NotEmpty(b.e.t, loc)
	return b.get(loc)
}
