// Package pdftext reads letters back in tests: the text of a PDF as pdftotext (poppler-utils) extracts it.
package pdftext

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Text extracts a PDF's text with pdftotext, without white space (CJK lines wrap anywhere).
func Text(t testing.TB, pdf []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "letter.pdf")
	require.NoError(t, os.WriteFile(path, pdf, 0o600))
	out, err := exec.Command("pdftotext", "-raw", "-enc", "UTF-8", path, "-").Output()
	require.NoError(t, err, "pdftotext (poppler-utils) is needed: run `go run ./cmd/xinyong setup`")
	return strings.Join(strings.Fields(string(out)), "")
}
