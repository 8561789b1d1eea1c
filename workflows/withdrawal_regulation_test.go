package workflows

import (
	"context"
	"testing"

	"github.com/lib/pq"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xinyong/domain"
	"xinyong/storage"
	"xinyong/templates/letters"
)

// Issue 13 (letters cite the regulation of the case's rule set): the 告知函 of a market-supervision record cites
// SAMR Order 107 《市场监督管理信用修复管理办法》 (also for a record published under Order 45, samr-2021, since it is
// withdrawn under Order 107 now); any other record's cites NDRC Order 36 《信用修复管理办法》.
func TestWithdrawalNoticeCitesOrder107ForSAMRRecordsAndOrder36Otherwise(t *testing.T) {
	f := newChannelFixture(t)
	ctx := context.Background()
	for _, c := range []struct {
		ruleSet, dept, want, wrong string
	}{
		{"samr-2025", "scjgj", "根据《市场监督管理信用修复管理办法》和“一件通用”", "根据《信用修复管理办法》"},
		{"samr-2021", "scjgj", "根据《市场监督管理信用修复管理办法》和“一件通用”", "根据《信用修复管理办法》"},
		{"ndrc-2026", "sthjj", "根据《信用修复管理办法》和“一件通用”", "市场监督管理信用修复管理办法"},
	} {
		t.Run(c.ruleSet, func(t *testing.T) {
			id, err := storage.InsertPenalty(ctx, f.db, storage.Penalty{
				DepartmentID: c.dept, DecisionNo: "罚〔2026〕" + c.ruleSet, USCC: f.ent.USCC, EnterpriseName: f.ent.Name,
				DecidedOn: domain.MustParseDate("2026-05-20"), PenaltyTypes: pq.StringArray{"fine"}, FineAmountYuan: "50000",
				Class: "general", RuleSet: c.ruleSet, Published: true, PublishDue: domain.MustParseDate("2026-05-29"),
				RepairEligibleFrom: domain.MustParseDate("2026-08-21"), PublicationEnds: domain.MustParseDate("2027-05-20"),
				CreatedBy: c.dept, DeliveryDue: domain.MustParseDate("2026-05-29"),
			})
			require.NoError(t, err)
			f.penaltyID = id
			f.publishAll(id)
			facts, err := f.acts.LoadWithdrawal(ctx, f.order("repair"))
			require.NoError(t, err)
			l, err := letters.Build(letters.Content{Kind: letters.KindWithdrawalNotice, Data: withdrawalNotice(facts)})
			require.NoError(t, err)
			text := letterText(l)
			assert.Contains(t, text, c.want)
			assert.NotContains(t, text, c.wrong)
		})
	}
}
