package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"xinyong/domain"
	"xinyong/storage"
	"xinyong/workflows"
)

// TestListingWithoutWorkflowIsReconciled: list entries stored by a registration that died before it started their
// lifecycle (the state a crash between the two steps leaves) are found by the reconciler, which starts their
// record workflow (not a penalty lifecycle) under penalty-<id>: the serious listing issues its notice and both are
// published; a second run finds nothing left to do.
func TestListingWithoutWorkflowIsReconciled(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	a := storage.DemoEnterprises[3]
	office := s.token("office")
	on := domain.Today().AddDays(-30)
	serious, err := s.db.InsertListing(ctx, storage.Listing{Kind: storage.RecordSeriousList, DepartmentID: "sthjj",
		Number: "镇环严列〔2026〕31号", USCC: a.USCC, EnterpriseName: a.Name, ListedOn: on, Facts: "拒不履行生效行政处罚决定",
		RuleSet: "ndrc-2026", PublishDue: domain.Today().AddDays(7), EligibleFrom: on.AddMonths(12), Ends: on.AddMonths(36), CreatedBy: "sthjj"})
	require.NoError(t, err)
	abnormal, err := s.db.InsertListing(ctx, storage.Listing{Kind: storage.RecordAbnormalList, DepartmentID: "sthjj",
		Number: "镇环异列〔2026〕32号", USCC: a.USCC, EnterpriseName: a.Name, ListedOn: on, Cause: "annual_report", Facts: "未按期报送年度报告",
		RuleSet: "ndrc-2026", PublishDue: domain.Today().AddDays(7), EligibleFrom: on, Ends: storage.NoEnd, CreatedBy: "sthjj"})
	require.NoError(t, err)
	for _, id := range []int64{serious, abnormal} {
		_, err := s.temporal.DescribeWorkflowExecution(ctx, workflows.PenaltyWorkflowID(id), "")
		require.Error(t, err, "no lifecycle runs for the entry")
	}

	reconcile := func(name string) workflows.ReconcileResult {
		run, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: name, TaskQueue: workflows.TaskQueue},
			workflows.ReconcileWorkflowType, workflows.ReconcileParams{MinAge: -1})
		require.NoError(t, err)
		var res workflows.ReconcileResult
		require.NoError(t, run.Get(ctx, &res))
		return res
	}
	res := reconcile("reconciler-listings-1")
	for _, id := range []int64{serious, abnormal} {
		wid := workflows.PenaltyWorkflowID(id)
		assert.Contains(t, res.Started, wid)
		d, err := s.temporal.DescribeWorkflowExecution(ctx, wid, "")
		require.NoError(t, err)
		assert.Equal(t, workflows.RecordWorkflowType, d.GetWorkflowExecutionInfo().GetType().GetName(), "a list entry runs its record workflow")
	}

	type listing struct {
		Letters []struct {
			Kind       string `json:"kind"`
			VerifyCode string `json:"verify_code"`
		} `json:"letters"`
		Publications []struct {
			ChannelID string `json:"channel_id"`
		} `json:"publications"`
	}
	s.eventually(60*time.Second, "the serious listing's notice is issued and both entries are being published", func() bool {
		var l, ab listing
		if s.call("GET", fmt.Sprintf("/api/v1/listings/%d", serious), office, nil, &l) != 200 ||
			s.call("GET", fmt.Sprintf("/api/v1/listings/%d", abnormal), office, nil, &ab) != 200 {
			return false
		}
		notice := false
		for _, lt := range l.Letters {
			notice = notice || lt.Kind == "serious_list_notice"
		}
		return notice && len(l.Publications) == len(storage.DemoChannels) && len(ab.Publications) == len(storage.DemoChannels)
	})

	// The next run marks them started and starts nothing.
	res = reconcile("reconciler-listings-2")
	for _, id := range []int64{serious, abnormal} {
		assert.NotContains(t, res.Started, workflows.PenaltyWorkflowID(id))
		p, err := s.db.GetPenalty(ctx, id)
		require.NoError(t, err)
		assert.True(t, p.LifecycleStartedAt.Valid, "marked started once seen running")
	}
	assert.Empty(t, reconcile("reconciler-listings-3").Started)
}
