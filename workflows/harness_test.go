package workflows

import (
	"strings"
	"testing"

	"xinyong/activities"
	"xinyong/templates/letters"
)

// issuedLetter is the letter the IssueLetter activity would print for in: built from its content with the texts in
// use, as the activity does, so a workflow test also proves that what the workflow passes builds.
func issuedLetter(t testing.TB, in activities.IssueLetterInput) letters.Letter {
	t.Helper()
	if in.Content == nil {
		return in.Letter
	}
	l, err := letters.Build(*in.Content)
	if err != nil {
		t.Errorf("letter %s of %s %s does not build: %v", in.Content.Kind, in.CaseKind, in.CaseID, err)
	}
	return l
}

// letterText joins every text a letter prints.
func letterText(l letters.Letter) string {
	var b strings.Builder
	for _, s := range append(append([]string{l.Letterhead, l.Title, l.Number, l.Addressee, l.Issuer}, l.Paragraphs...), l.Notes...) {
		b.WriteString(s + "\n")
	}
	for _, f := range l.Facts {
		b.WriteString(f.Label + "：" + f.Value + "\n")
	}
	if l.Table != nil {
		for _, row := range l.Table.Rows {
			b.WriteString(strings.Join(row, " ") + "\n")
		}
	}
	return b.String()
}
