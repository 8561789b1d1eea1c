package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"xinyong/storage"
	"xinyong/workflows"
)

// Issue 12, defect 3, on a real Temporal server: an operator confirming its channel again and again makes the
// withdrawal order's run continue as new (every WithdrawalMaxSteps confirmations) instead of growing one history
// without bound; the new run keeps what was confirmed, the caller waiting for the order (a parent workflow) gets
// its result from the last run, and the order completes when the other channels confirm.
func TestWithdrawalOrderContinuesAsNewUnderRepeatedConfirmations(t *testing.T) {
	old := workflows.WithdrawalMaxSteps
	workflows.WithdrawalMaxSteps = 3
	t.Cleanup(func() { workflows.WithdrawalMaxSteps = old })
	cs := newChannelStack(t)
	ctx := context.Background()
	office := cs.token("office")
	pid := cs.publishedPenalty(storage.DemoEnterprises[1], "镇环罚〔2026〕77号")
	in := workflows.WithdrawalInput{PenaltyID: pid, Cause: "repair", CauseRef: "repair-77",
		CauseDecision: "生态环境局准予信用修复决定书（镇环修〔2026〕77号）"}
	run, err := cs.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: fmt.Sprintf("e2e-withdraw-can-%d", pid),
		TaskQueue: workflows.TaskQueue}, runWithdrawalE2E, in)
	require.NoError(t, err)
	manual := make([]string, 0, len(storage.DemoChannels))
	for _, ch := range storage.DemoChannels {
		manual = append(manual, ch.ID)
	}
	id := cs.waitForOrder(pid, office, manual...)
	wid := workflows.WithdrawalWorkflowID(id)
	first, err := cs.temporal.DescribeWorkflowExecution(ctx, wid, "")
	require.NoError(t, err)
	firstRun := first.WorkflowExecutionInfo.Execution.RunId

	// gsxt confirms, then its confirmation is sent again and again straight to the order's workflow (the API answers
	// a repeated one from the database); one that meets the hand-over is refused with order_busy and sent again.
	require.Equal(t, 200, cs.confirm(id, "gsxt", "op-gsxt"))
	confirmed := 0
	for i := 0; i < 40 && confirmed < 8; i++ {
		uctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		h, err := cs.temporal.UpdateWorkflow(uctx, client.UpdateWorkflowOptions{WorkflowID: wid,
			UpdateName: workflows.WithdrawalConfirmUpdate, WaitForStage: client.WorkflowUpdateStageCompleted,
			Args: []any{workflows.ConfirmChannelRequest{ChannelID: "gsxt", Reference: "确认-gsxt", By: "op-gsxt"}}})
		if err == nil {
			err = h.Get(uctx, nil)
		}
		cancel()
		if err == nil {
			confirmed++
			continue
		}
		// During the hand-over a confirmation is refused (order_busy) or, when it races the continue-as-new
		// command, fails with the workflow task; either way the channel retries.
		rej, ok := workflows.AsRejection(err)
		require.True(t, (ok && rej.Code == "order_busy") || strings.Contains(err.Error(), "workflow task failure"),
			"confirmation answered %v", err)
		time.Sleep(200 * time.Millisecond)
	}
	require.Equal(t, 8, confirmed)
	cs.eventually(30*time.Second, "the order continued as new", func() bool {
		d, err := cs.temporal.DescribeWorkflowExecution(ctx, wid, "")
		return err == nil && d.WorkflowExecutionInfo.Execution.RunId != firstRun
	})
	h := cs.temporal.GetWorkflowHistory(ctx, wid, firstRun, false, 0)
	continued := false
	for h.HasNext() {
		ev, err := h.Next()
		require.NoError(t, err)
		if ev.GetWorkflowExecutionContinuedAsNewEventAttributes() != nil {
			continued = true
		}
	}
	assert.True(t, continued, "the first run ended by continuing as new")

	// The state is carried: gsxt stays confirmed, the others are still open.
	for _, c := range cs.view(id, office).Channels {
		if c.ChannelID == "gsxt" {
			assert.Equal(t, "confirmed", c.Status)
		} else {
			assert.NotEqual(t, "confirmed", c.Status, c.ChannelID)
		}
	}
	workflows.WithdrawalMaxSteps = 100
	for _, ch := range manual {
		if ch == "gsxt" {
			continue
		}
		login := storage.DemoOperatorLogins[ch]
		cs.eventually(30*time.Second, "confirmed "+ch, func() bool { return cs.confirm(id, ch, login) == 200 })
	}
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var res workflows.WithdrawalResult
	require.NoError(t, run.Get(wctx, &res), "the parent gets the result of the order's last run")
	assert.Equal(t, id, res.WithdrawalID)
	v := cs.view(id, office)
	assert.Equal(t, "completed", v.Status)
	for _, c := range v.Channels {
		assert.Equal(t, "confirmed", c.Status, c.ChannelID)
	}
}
