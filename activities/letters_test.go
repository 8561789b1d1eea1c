package activities

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"xinyong/templates/letters"
)

func repairNoticeContent(f *fixture) *letters.Content {
	return &letters.Content{Kind: letters.KindRepairNotice, Data: letters.RepairNoticeData{
		Issue:          letters.Issue{Issuer: "市生态环境局", Number: "市生态环境信修告〔2026〕1号", Date: time.Date(2026, 5, 20, 0, 0, 0, 0, time.UTC)},
		EnterpriseName: f.ent.Name, USCC: f.ent.USCC, DecisionNo: "镇环罚〔2026〕15号", ClassLabel: "一般",
		DecidedOn: time.Date(2026, 5, 20, 0, 0, 0, 0, time.UTC), PublicationMax: "1年",
	}}
}

// viaWorker passes an input through the data converter, as the worker decodes what the workflow scheduled.
func viaWorker[T any](t *testing.T, in any) T {
	t.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayload(in)
	require.NoError(t, err)
	var out T
	require.NoError(t, converter.GetDefaultDataConverter().FromPayload(p, &out))
	return out
}

func TestIssueLetterTwiceStoresOneLetter(t *testing.T) {
	f := newFixture(t)
	in := viaWorker[IssueLetterInput](t, IssueLetterInput{CaseKind: "penalty", CaseID: "7", Version: 1, USCC: f.ent.USCC,
		DepartmentID: "sthjj", Content: repairNoticeContent(f), Data: map[string]any{"penalty_id": 7}})
	var refs []LetterRef
	f.twice(func() error {
		ref, err := f.acts.IssueLetter(f.ctx, in)
		refs = append(refs, ref)
		return err
	}, "letters", `SELECT count(*) FROM letters WHERE case_kind = 'penalty' AND case_id = '7' AND kind = 'repair_notice'`)
	assert.Equal(t, refs[0], refs[1], "the retry answers with the letter stored first")
	l, err := f.db.GetLetter(f.ctx, refs[0].ID)
	require.NoError(t, err)
	assert.Equal(t, "信用修复告知书", l.Title, "built from the texts in the activity")
	assert.Equal(t, "市生态环境信修告〔2026〕1号", l.Number)
	assert.Equal(t, f.ent.Name, l.Addressee)
}

// TestIssueLetterAcceptsTheInputOfWorkflowsStartedBefore: a workflow task scheduled before letters were built in
// the activity carries the built letter; the activity still issues it as it was built.
func TestIssueLetterAcceptsTheInputOfWorkflowsStartedBefore(t *testing.T) {
	f := newFixture(t)
	old := struct {
		CaseKind, CaseID   string
		Version            int
		USCC, DepartmentID string
		Letter             letters.Letter
		Data               any
	}{CaseKind: "withdrawal", CaseID: "3", Version: 1, USCC: f.ent.USCC, DepartmentID: "sthjj",
		Letter: letters.Letter{Kind: letters.KindWithdrawalNotice, Title: "告知函", Number: "信用办撤〔2026〕3号",
			Addressee: "各公示渠道", Paragraphs: []string{"旧版工作流预先写好的告知函。"}, Issuer: "市信用办",
			Date: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)},
		Data: map[string]any{"withdrawal_id": 3}}
	in := viaWorker[IssueLetterInput](t, old)
	require.Nil(t, in.Content)
	var ref LetterRef
	f.twice(func() (err error) { ref, err = f.acts.IssueLetter(f.ctx, in); return err },
		"letters", `SELECT count(*) FROM letters WHERE case_kind = 'withdrawal' AND case_id = '3'`)
	l, err := f.db.GetLetter(f.ctx, ref.ID)
	require.NoError(t, err)
	assert.Equal(t, "信用办撤〔2026〕3号", l.Number)
	assert.Equal(t, "各公示渠道", l.Addressee)
}

// TestIssueLetterThatCannotBeBuiltFailsWithoutRetry: a letter that cannot be built from its content is an error the
// workflow sees at once (retrying cannot help), never a panic, and stores nothing.
func TestIssueLetterThatCannotBeBuiltFailsWithoutRetry(t *testing.T) {
	f := newFixture(t)
	for name, c := range map[string]*letters.Content{
		"unknown kind":    {Kind: "no_such_letter"},
		"data of another": {Kind: letters.KindRepairNotice, Data: letters.NotAcceptedData{}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := f.acts.IssueLetter(f.ctx, IssueLetterInput{CaseKind: "penalty", CaseID: "8", Version: 1, Content: c})
			var ae *temporal.ApplicationError
			require.True(t, errors.As(err, &ae), "%v", err)
			assert.True(t, ae.NonRetryable())
			assert.Equal(t, ErrInvalidLetter, ae.Type())
		})
	}
	assert.Zero(t, f.count(`SELECT count(*) FROM letters WHERE case_id = '8'`))
}
