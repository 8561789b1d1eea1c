package workflows

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"xinyong/activities"
	"xinyong/domain"
)

// verifyingCase is a case resumed while the department verifies it, with its decision due on 2026-11-20.
func verifyingCase() activities.RepairFacts {
	f := repairFacts("2026-11-02")
	f.Seq = 4
	f.Progress = activities.RepairProgress{Status: domain.RepairVerifying, Holder: domain.HolderDepartment,
		ReceivedOn: domain.MustParseDate("2026-11-02"), AcceptedOn: domain.MustParseDate("2026-11-03"),
		DecisionDue: domain.MustParseDate("2026-11-20"), OverallDue: domain.MustParseDate("2026-11-30")}
	return f
}

// Issue 12, defect 2b: a step whose write PostgreSQL refuses for good answers invalid_data and leaves the case as
// it was, so the same step with good data goes through afterwards.
func TestRepairStepRefusedByTheDatabaseLeavesTheCaseAsItWas(t *testing.T) {
	f := verifyingCase()
	env, r := newRepairEnv(t, f, shanghaiAt("2026-11-05", 9))
	r.stepErr = func(in activities.RepairStepInput) error {
		if in.Action == "repair.extended" && in.Details["reason"] == "坏\u0000数据" {
			return temporal.NewNonRetryableApplicationError("提交的内容无法保存", activities.ErrInvalidData, nil)
		}
		return nil
	}
	bad := repairUpdateAt(env, time.Minute, RepairExtendUpdate, RepairReason{Reason: "坏\u0000数据", RepairActor: dept})
	var between RepairState
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(RepairStateQuery)
		require.NoError(t, err)
		require.NoError(t, v.Get(&between))
	}, 2*time.Minute)
	good := repairUpdateAt(env, 3*time.Minute, RepairExtendUpdate, RepairReason{Reason: "需要现场核查", RepairActor: dept})
	withdrawn := repairUpdateAt(env, 4*time.Minute, RepairWithdrawUpdate, RepairReason{Reason: "撤回", RepairActor: firm})

	env.ExecuteWorkflow(RepairWorkflow, RepairParams{RepairID: f.RepairID})
	require.NoError(t, env.GetWorkflowError())
	require.True(t, bad.done, "update answered")
	var ae *temporal.ApplicationError
	require.True(t, errors.As(bad.rejected, &ae), "%v", bad.rejected)
	require.Equal(t, activities.ErrInvalidData, ae.Type())
	require.False(t, between.Extended, "the refused write did not extend the case")
	require.Equal(t, "2026-11-20", between.DecisionDue.String())
	require.NoError(t, good.rejected)
	require.True(t, good.state.Extended)
	require.NoError(t, withdrawn.rejected)
}

// Issue 12, defect 3: a repair case's run continues as new once it took RepairMaxSteps steps; the new run resumes
// the case from its row.
func TestRepairRunContinuesAsNewAfterItsSteps(t *testing.T) {
	old := RepairMaxSteps
	RepairMaxSteps = 1
	t.Cleanup(func() { RepairMaxSteps = old })
	f := verifyingCase()
	env, _ := newRepairEnv(t, f, shanghaiAt("2026-11-05", 9))
	extended := repairUpdateAt(env, time.Minute, RepairExtendUpdate, RepairReason{Reason: "需要现场核查", RepairActor: dept})

	env.ExecuteWorkflow(RepairWorkflow, RepairParams{RepairID: f.RepairID})
	require.NoError(t, extended.rejected)
	require.True(t, extended.state.Extended)
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(env.GetWorkflowError(), &can), "continued as new: %v", env.GetWorkflowError())
	require.Equal(t, RepairWorkflowType, can.WorkflowType.Name)
}
