package activities

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"xinyong/domain"
	"xinyong/storage"
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
	assert.Equal(t, "镇信用办撤〔2026〕1号", l.Number, "numbered in the credit office's series with its 机关代字")
	assert.Equal(t, CreditOfficeLetterName, l.Issuer)
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

// TestIssueLetterNumbersEachIssuersKindPerYearWithoutGaps: 20 letters issued at once by one department are numbered
// 1 to 20 in its series for the kind and year, with its 机关代字 and its full name; another kind, another year and
// another department count apart, a retry takes no number, and a letter that fails to render leaves no gap.
func TestIssueLetterNumbersEachIssuersKindPerYearWithoutGaps(t *testing.T) {
	f := newFixture(t)
	notice := func(caseID, issuer, number string, on time.Time) IssueLetterInput {
		c := repairNoticeContent(f)
		d := c.Data.(letters.RepairNoticeData)
		d.Issue = letters.Issue{Issuer: issuer, Number: number, Date: on}
		c.Data = d
		return viaWorker[IssueLetterInput](t, IssueLetterInput{CaseKind: "penalty", CaseID: caseID, Version: 1,
			USCC: f.ent.USCC, DepartmentID: "sthjj", Content: c})
	}
	may := time.Date(2026, 5, 20, 0, 0, 0, 0, time.UTC)
	const n = 20
	refs := make([]LetterRef, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// The workflow's provisional number carries the case id: only its series (信修告) is kept.
			refs[i], errs[i] = f.acts.IssueLetter(f.ctx, notice(strconv.Itoa(100+i), "生态环境局", fmt.Sprintf("生态环境信修告〔2026〕%d号", 100+i), may))
		}()
	}
	wg.Wait()
	var got []string
	for i := range n {
		require.NoError(t, errs[i])
		l, err := f.db.GetLetter(f.ctx, refs[i].ID)
		require.NoError(t, err)
		assert.Equal(t, "镇江市生态环境局", l.Issuer)
		assert.Equal(t, l.Number, refs[i].Number)
		got = append(got, l.Number)
	}
	var want []string
	for i := 1; i <= n; i++ {
		want = append(want, fmt.Sprintf("镇环信修告〔2026〕%d号", i))
	}
	assert.ElementsMatch(t, want, got)

	// A retry answers with the stored letter and takes no number.
	again, err := f.acts.IssueLetter(f.ctx, notice("100", "生态环境局", "生态环境信修告〔2026〕100号", may))
	require.NoError(t, err)
	assert.Equal(t, refs[0], again)

	// A letter that cannot be rendered takes no number either.
	bad := notice("200", "生态环境局", "生态环境信修告〔2026〕200号", may)
	bad.Content = nil
	bad.Letter = letters.Letter{Kind: letters.KindRepairNotice, Issuer: "生态环境局", Number: "生态环境信修告〔2026〕200号",
		Date: may, Table: &letters.Table{Headers: []string{"渠道"}, Rows: [][]string{{"信用中国", "多余的一格"}}}}
	_, err = f.acts.IssueLetter(f.ctx, bad)
	require.Error(t, err)

	next, err := f.acts.IssueLetter(f.ctx, notice("201", "生态环境局", "生态环境信修告〔2026〕201号", may))
	require.NoError(t, err)
	assert.Equal(t, "镇环信修告〔2026〕21号", next.Number, "no gap after the failed letter")
	nextYear, err := f.acts.IssueLetter(f.ctx, notice("202", "生态环境局", "生态环境信修告〔2027〕202号", may.AddDate(1, 0, 0)))
	require.NoError(t, err)
	assert.Equal(t, "镇环信修告〔2027〕1号", nextYear.Number)
	other, err := f.acts.IssueLetter(f.ctx, notice("203", "生态环境局", "生态环境信修补〔2026〕203号", may))
	require.NoError(t, err)
	assert.Equal(t, "镇环信修补〔2026〕1号", other.Number)
	in := notice("204", "市场监督管理局", "市场监督管理信修告〔2026〕204号", may)
	in.DepartmentID = "scjgj"
	market, err := f.acts.IssueLetter(f.ctx, in)
	require.NoError(t, err)
	assert.Equal(t, "镇市监信修告〔2026〕1号", market.Number)
}

// TestWaitingForAWithdrawalIsNotAnError: the polls of a repair waiting for its withdrawal fail as expected (benign),
// so the worker logs them at DEBUG instead of level=ERROR on every poll.
func TestWaitingForAWithdrawalIsNotAnError(t *testing.T) {
	f := newFixture(t)
	pid := f.penalty("镇环罚〔2026〕41号")
	_, err := f.acts.AwaitRepairWithdrawal(f.ctx, AwaitRepairWithdrawalInput{RepairID: 999, PenaltyID: pid})
	var ae *temporal.ApplicationError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, ErrWithdrawalPending, ae.Type())
	assert.Equal(t, temporal.ApplicationErrorCategoryBenign, ae.Category())
	assert.False(t, ae.NonRetryable())
}

// TestWithdrawalAsksOnlyChannelsThatHaveTheRecord: an order concerns the channels that published the record or were
// asked to (issue 16: revoking a never-published penalty asked all five channels to withdraw it).
func TestWithdrawalAsksOnlyChannelsThatHaveTheRecord(t *testing.T) {
	f := newFixture(t)
	pid := f.penalty("镇环罚〔2026〕42号")
	_, err := f.db.CreatePublications(f.ctx, pid, domain.MustParseDate("2026-05-29"))
	require.NoError(t, err)
	require.NoError(t, f.db.Publish(f.ctx, pid, "creditchina", func(storage.PublicationTarget) (string, error) { return "P-1", nil }))
	require.NoError(t, f.db.CountPublicationAttempt(f.ctx, pid, "gsxt"))
	require.NoError(t, f.db.MarkPublicationOverdue(f.ctx, pid, "thirdparty"))
	cal := domain.DefaultCalendar()
	id, created, err := f.db.OrderWithdrawal(f.ctx, storage.NewWithdrawal{PenaltyID: pid, Cause: domain.CauseRevocation,
		CauseRef: "revoked", OrderedOn: domain.MustParseDate("2026-06-01")}, cal)
	require.NoError(t, err)
	require.True(t, created)
	cs, err := f.db.WithdrawalChannels(f.ctx, id)
	require.NoError(t, err)
	var got []string
	for _, c := range cs {
		got = append(got, c.ChannelID)
	}
	assert.Equal(t, []string{"creditchina", "gsxt", "thirdparty"}, got,
		"published, sent and overdue; the two channels never asked are left out")

	// A record published nowhere: the order asks no channel.
	other := f.penalty("镇环罚〔2026〕43号")
	_, err = f.db.CreatePublications(f.ctx, other, domain.MustParseDate("2026-05-29"))
	require.NoError(t, err)
	id, _, err = f.db.OrderWithdrawal(f.ctx, storage.NewWithdrawal{PenaltyID: other, Cause: domain.CauseRevocation,
		CauseRef: "revoked", OrderedOn: domain.MustParseDate("2026-06-01")}, cal)
	require.NoError(t, err)
	cs, err = f.db.WithdrawalChannels(f.ctx, id)
	require.NoError(t, err)
	assert.Empty(t, cs)
}
