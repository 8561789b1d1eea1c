package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xinyong/domain"
	"xinyong/storage"
	"xinyong/templates/letters"
	"xinyong/workflows"
	"xinyong/workflows/wftest"
)

// editedTexts writes a letter texts directory (XINYONG_LETTER_TEXTS) whose repair notice and delivery receipt say
// things the embedded texts do not.
func editedTexts(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, edit := range map[string][2]string{
		"repair_notice.tmpl":    {"{{define \"closing\"}}特此告知。{{end}}", "{{define \"closing\"}}特此函告，请遵照执行。{{end}}"},
		"delivery_receipt.tmpl": {"{{define \"title\"}}送达回证{{end}}", "{{define \"title\"}}文书送达回证{{end}}"},
	} {
		raw, err := os.ReadFile(filepath.Join("..", "..", "templates", "letters", "texts", name))
		require.NoError(t, err)
		require.Contains(t, string(raw), edit[0], "the embedded %s changed; update this test's edit", name)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(strings.Replace(string(raw), edit[0], edit[1], 1)), 0o644))
	}
	return dir
}

// useTexts points XINYONG_LETTER_TEXTS at dir ("" for the embedded texts) and reloads them, as an operator does.
func useTexts(t *testing.T, dir string) {
	t.Helper()
	t.Setenv(letters.TextsDirEnv, dir)
	require.NoError(t, letters.LoadTexts())
}

// TestLetterTextsSwappedBetweenRunAndReplay: issue 11, acceptance 2. A penalty lifecycle issues its letters with the
// embedded texts and its history is recorded; the texts are then replaced (XINYONG_LETTER_TEXTS) and the history
// still replays, with every activity getting exactly the input it got in the run, because letters are built from
// the texts in the activity, never in workflow code. A penalty registered after the swap gets the new wording.
func TestLetterTextsSwappedBetweenRunAndReplay(t *testing.T) {
	useTexts(t, "")
	t.Cleanup(func() {
		os.Unsetenv(letters.TextsDirEnv)
		_ = letters.LoadTexts()
	})
	s := newStack(t)
	a := storage.DemoEnterprises[1]
	sthjj := s.token("sthjj")
	register := func(n int) penaltyAnswer {
		var p penaltyAnswer
		require.Equal(t, 201, s.call("POST", "/api/v1/penalties", sthjj, map[string]any{
			"decision_no": fmt.Sprintf("镇环罚〔2026〕%d号", 900+n), "uscc": a.USCC, "enterprise_name": a.Name,
			"decided_on": domain.Today().AddDays(-1).String(), "penalty_types": []string{"fine"}, "fine_amount_yuan": 50000,
		}, &p))
		require.Len(t, p.Letters, 2)
		return p
	}
	noticeText := func(p penaltyAnswer) string {
		for _, l := range p.Letters {
			if l.Kind == string(letters.KindRepairNotice) {
				pdf, code := s.get(fmt.Sprintf("/api/v1/letters/%d/pdf", l.ID), sthjj)
				require.Equal(t, 200, code)
				return pdfText(t, pdf)
			}
		}
		t.Fatal("no repair notice")
		return ""
	}

	before := register(1)
	require.Contains(t, noticeText(before), "特此告知。")
	h := wftest.FetchHistory(t, s.temporal, workflows.PenaltyWorkflowID(before.ID))
	path := filepath.Join(t.TempDir(), "penalty.json")
	wftest.WriteHistory(t, h, path)

	useTexts(t, editedTexts(t))
	registerAll := func(r wftest.Registry) { workflows.Register(r, nil) }
	wftest.Replay(t, path, registerAll, wftest.Options{CompareActivityInputs: true})

	after := register(2)
	text := noticeText(after)
	assert.Contains(t, text, "特此函告，请遵照执行。", "the activity prints the texts in use")
	assert.NotContains(t, text, "特此告知。")
}
