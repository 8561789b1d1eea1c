//go:build upgradeprobe

package main

import (
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"xinyong/workflows"
)

// The upgrade probe is the "next release" deploy's TestProductionTopology rolls out over running penalty
// workflows (go build -tags prod,upgradeprobe): the penalty workflow with one change of shape behind
// workflow.GetVersion, as the versioning policy in deploy/OPERATIONS.md prescribes. After the lifecycle ends it
// records in the memo which build finished it. Histories written by the previous build replay unchanged (no
// marker, DefaultVersion until the new point), and runs that reach the new point on this build take version 1.

// UpgradeProbeChange is the change id; UpgradeProbeMemo the memo key the new branch writes.
const (
	UpgradeProbeChange = "topology-upgrade-probe"
	UpgradeProbeMemo   = "completed_by_build"
)

func upgradeProbePenalty(ctx workflow.Context, in workflows.PenaltyParams) error {
	if err := workflows.PenaltyWorkflow(ctx, in); err != nil {
		return err
	}
	if workflow.GetVersion(ctx, UpgradeProbeChange, workflow.DefaultVersion, 1) == 1 {
		return workflow.UpsertMemo(ctx, map[string]any{UpgradeProbeMemo: "upgradeprobe"})
	}
	return nil
}

func init() {
	workerExtras = append(workerExtras, func(w worker.Worker) {
		w.RegisterWorkflowWithOptions(upgradeProbePenalty, workflow.RegisterOptions{
			Name: workflows.PenaltyWorkflowType, DisableAlreadyRegisteredCheck: true,
		})
	})
}
