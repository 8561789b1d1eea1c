package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"xinyong/domain"
)

// TestObjectionExtensionLetterMarksAProvisionalDate: an extension by the rule set's working days that runs into
// a year whose holiday notice is not loaded (2027) is printed （暂定） in the 延期告知书, as the 告知函 prints a
// provisional 办结期限 (issue 13, RULES.md "Working days").
func TestObjectionExtensionLetterMarksAProvisionalDate(t *testing.T) {
	f := objectionFacts("2026-12-10")
	f.Channels = nil
	env, r := newObjectionEnv(t, f, shanghaiAt("2026-12-10", 10))
	extended := objectionUpdateAt(env, 24*time.Hour, ObjectionExtendUpdate, ObjectionExtension{Reason: "需要现场核查",
		ObjectionActor: deptActor})
	objectionUpdateAt(env, 10*24*time.Hour, ObjectionResolveUpdate, ObjectionResolution{Outcome: "upheld",
		Reason: "公示信息无误", ObjectionActor: deptActor})

	env.ExecuteWorkflow(ObjectionWorkflow, ObjectionParams{ObjectionID: f.ObjectionID})
	require.NoError(t, env.GetWorkflowError())
	require.NoError(t, extended.rejected)
	require.Equal(t, "2027", extended.state.VerifyDue.String()[:4], "the extension runs into 2027: %s", extended.state.VerifyDue)
	require.Equal(t, []string{"objection_commitment", "extension_notice", "objection_result"}, r.letters)
	require.Contains(t, r.letterTexts[1], "（暂定）", "the counted new date is provisional")
	require.Contains(t, r.letterTexts[1], "重新计算")
}

// TestObjectionExtensionLetterStatedDateIsNotProvisional: a date the department chose is never provisional, even
// in a year whose notice is not loaded.
func TestObjectionExtensionLetterStatedDateIsNotProvisional(t *testing.T) {
	f := objectionFacts("2026-12-10")
	f.Channels = nil
	env, r := newObjectionEnv(t, f, shanghaiAt("2026-12-10", 10))
	extended := objectionUpdateAt(env, 24*time.Hour, ObjectionExtendUpdate, ObjectionExtension{Reason: "需要现场核查",
		DueOn: domain.MustParseDate("2027-01-04"), ObjectionActor: deptActor})
	objectionUpdateAt(env, 10*24*time.Hour, ObjectionResolveUpdate, ObjectionResolution{Outcome: "upheld",
		Reason: "公示信息无误", ObjectionActor: deptActor})

	env.ExecuteWorkflow(ObjectionWorkflow, ObjectionParams{ObjectionID: f.ObjectionID})
	require.NoError(t, env.GetWorkflowError())
	require.NoError(t, extended.rejected)
	require.Equal(t, "2027-01-04", extended.state.VerifyDue.String())
	require.Contains(t, r.letterTexts[1], "2027年1月4日")
	require.NotContains(t, r.letterTexts[1], "暂定", "the department's own date")
}
