package activities

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xinyong/domain"
	"xinyong/storage"
	"xinyong/templates/letters/pdftext"
)

// pdfText extracts a PDF's text without white space (pdftext.Text).
func pdfText(t *testing.T, pdf []byte) string { return pdftext.Text(t, pdf) }

var printedCode = regexp.MustCompile(`激活码([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})`)

// TestRepairNoticeCarriesAnActivationCode: an enterprise without an account finds a one-time code on its
// 信用修复告知书; a retried issue keeps the letter and the code stored first, and only that code works.
func TestRepairNoticeCarriesAnActivationCode(t *testing.T) {
	f := newFixture(t)
	f.ent = storage.Enterprise{USCC: "91321100MA1XYK7A09", Name: "镇江新开张贸易有限公司"}
	require.NoError(t, f.db.UpsertEnterprise(f.ctx, f.ent))
	in := viaWorker[IssueLetterInput](t, IssueLetterInput{CaseKind: "penalty", CaseID: "8", Version: 1, USCC: f.ent.USCC,
		DepartmentID: "sthjj", Content: repairNoticeContent(f)})
	var refs []LetterRef
	f.twice(func() error {
		ref, err := f.acts.IssueLetter(f.ctx, viaWorker[IssueLetterInput](t, in))
		refs = append(refs, ref)
		return err
	}, "letters", `SELECT count(*) FROM letters WHERE case_kind = 'penalty' AND case_id = '8'`)
	require.Equal(t, refs[0], refs[1])
	assert.Equal(t, 1, f.count(`SELECT count(*) FROM activation_codes WHERE uscc = $1`, f.ent.USCC), "the retry made no second code")

	pdf, err := f.db.LetterPDF(f.ctx, refs[0].ID)
	require.NoError(t, err)
	text := pdfText(t, pdf)
	m := printedCode.FindStringSubmatch(text)
	require.NotNil(t, m, "no activation code in: %s", text)
	assert.Contains(t, text, "http://xinyong.test/activate?uscc="+f.ent.USCC)

	_, err = f.db.ActivateEnterprise(f.ctx, f.ent.USCC, "AAAA-BBBB-CCCC", "铁马冰河入梦来2026", "")
	require.ErrorIs(t, err, storage.ErrActivationCode)
	u, err := f.db.ActivateEnterprise(f.ctx, f.ent.USCC, m[1], "铁马冰河入梦来2026", "")
	require.NoError(t, err)
	assert.EqualValues(t, domain.RoleEnterprise, u.Role)

	// With an account, the next notice carries no code.
	in.CaseID = "9"
	ref, err := f.acts.IssueLetter(f.ctx, in)
	require.NoError(t, err)
	pdf, err = f.db.LetterPDF(f.ctx, ref.ID)
	require.NoError(t, err)
	assert.NotContains(t, pdfText(t, pdf), "激活码")
}
