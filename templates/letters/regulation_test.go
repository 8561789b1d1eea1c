package letters

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestLettersCiteTheCaseRegulation: a market-supervision case is decided under SAMR Order 107, and its letters say
// so; a letter with no regulation given cites NDRC Order 36.
func TestLettersCiteTheCaseRegulation(t *testing.T) {
	samr := issue(rareDept, "x")
	samr.Regulation = "《市场监督管理信用修复管理办法》"
	for name, l := range map[string]Letter{
		"approved":     RepairApproved(RepairDecisionData{Issue: samr, ApplicationRef: app()}),
		"refused":      RepairRefused(RepairDecisionData{Issue: samr, ApplicationRef: app()}),
		"not accepted": NotAccepted(NotAcceptedData{Issue: samr, ApplicationRef: app()}),
		"supplement":   SupplementNotice(SupplementNoticeData{Issue: samr, ApplicationRef: app(), Items: []string{"缴款凭证"}}),
	} {
		text := strings.Join(l.Paragraphs, "\n")
		assert.Contains(t, text, "根据《市场监督管理信用修复管理办法》", name)
		assert.NotContains(t, text, "《信用修复管理办法》", name)
	}
	d := typicalRepairNoticeData()
	d.Issue.Regulation = "《市场监督管理信用修复管理办法》"
	assert.Contains(t, strings.Join(RepairNotice(d).Paragraphs, "\n"), "根据《市场监督管理信用修复管理办法》等规定")

	plain := RepairApproved(RepairDecisionData{Issue: issue(rareDept, "x"), ApplicationRef: app()})
	assert.Contains(t, strings.Join(plain.Paragraphs, "\n"), "根据《信用修复管理办法》")
}
