// Package consistency compares every case row in PostgreSQL with its workflow: the same status, and for a
// training session the same enrollments. A disagreement means a step changed one side and not the other (a write
// that failed while the workflow moved on), or a row whose workflow is missing or failed.
package consistency

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"xinyong/domain"
	"xinyong/storage"
	"xinyong/workflows"
)

// Disagreement is one case whose row and workflow disagree.
type Disagreement struct {
	Kind       string `json:"kind"`
	ID         int64  `json:"id"`
	WorkflowID string `json:"workflow_id"`
	// Problem is no_workflow, workflow_failed, status or enrollment.
	Problem  string `json:"problem"`
	Row      string `json:"row"`
	Workflow string `json:"workflow"`
}

func (d Disagreement) String() string {
	return fmt.Sprintf("%s %s: %s (row %q, workflow %q)", d.Kind, d.WorkflowID, d.Problem, d.Row, d.Workflow)
}

// Options tune a check.
type Options struct {
	// Settle re-checks a disagreeing case until it agrees or Settle passes: a step in flight has written its row
	// and not yet told its workflow (or the other way round) for a moment. Zero checks once.
	Settle time.Duration
}

// Check compares every case row with its workflow and answers the cases that disagree.
func Check(ctx context.Context, db *storage.DB, tc client.Client, opt Options) ([]Disagreement, error) {
	rows, err := db.CaseRows(ctx)
	if err != nil {
		return nil, err
	}
	var out []Disagreement
	for _, r := range rows {
		deadline := time.Now().Add(opt.Settle)
		for {
			d, err := checkOne(ctx, db, tc, r)
			if err != nil {
				return out, err
			}
			if d == nil {
				break
			}
			if time.Now().After(deadline) {
				out = append(out, *d)
				break
			}
			select {
			case <-ctx.Done():
				return out, ctx.Err()
			case <-time.After(200 * time.Millisecond):
			}
			// The row may have moved on meanwhile.
			if fresh, err := db.CaseRows(ctx); err == nil {
				for _, f := range fresh {
					if f.Kind == r.Kind && f.ID == r.ID {
						r = f
					}
				}
			}
		}
	}
	return out, nil
}

func workflowIDOf(kind string, id int64) string {
	switch kind {
	case "penalty":
		return workflows.PenaltyWorkflowID(id)
	case "repair":
		return workflows.RepairWorkflowID(id)
	case "objection":
		return workflows.ObjectionWorkflowID(id)
	case "training":
		return workflows.TrainingWorkflowID(id)
	case "withdrawal":
		return workflows.WithdrawalWorkflowID(id)
	}
	return ""
}

// caseState is the part of every workflow's "state" answer the check compares.
type caseState struct {
	Status      string
	Enrollments map[string]string
}

func checkOne(ctx context.Context, db *storage.DB, tc client.Client, r storage.CaseRow) (*Disagreement, error) {
	wid := workflowIDOf(r.Kind, r.ID)
	d := &Disagreement{Kind: r.Kind, ID: r.ID, WorkflowID: wid, Row: r.Status}
	desc, err := tc.DescribeWorkflowExecution(ctx, wid, "")
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		d.Problem = "no_workflow"
		return d, nil
	}
	if err != nil {
		return nil, fmt.Errorf("describe %s: %w", wid, err)
	}
	switch st := desc.GetWorkflowExecutionInfo().GetStatus(); st {
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED,
		enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW:
	default:
		d.Problem, d.Workflow = "workflow_failed", st.String()
		return d, nil
	}
	s, err := queryState(ctx, tc, r.Kind, wid)
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", wid, err)
	}
	d.Workflow = s.Status
	if !sameStatus(r.Kind, r.Status, s.Status) {
		d.Problem = "status"
		return d, nil
	}
	if r.Kind == "training" {
		rows, err := db.EnrollmentStatuses(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		for uscc, ws := range s.Enrollments {
			if rows[uscc] != ws {
				d.Problem, d.Row, d.Workflow = "enrollment", uscc+"="+rows[uscc], uscc+"="+ws
				return d, nil
			}
		}
		for uscc, rs := range rows {
			if _, ok := s.Enrollments[uscc]; !ok {
				d.Problem, d.Row, d.Workflow = "enrollment", uscc+"="+rs, uscc+" unknown"
				return d, nil
			}
		}
	}
	return nil, nil
}

// sameStatus compares a row's status with its workflow's; a session's workflow says "closing" while it issues
// the certificates, when its row still says started (or open, closed early).
func sameStatus(kind, row, wf string) bool {
	if row == wf {
		return true
	}
	return kind == "training" && wf == "closing" && row != string(domain.TrainingClosed)
}

func queryState(ctx context.Context, tc client.Client, kind, wid string) (caseState, error) {
	qctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var s caseState
	switch kind {
	case "penalty":
		var v workflows.PenaltyState
		err := query(qctx, tc, wid, workflows.PenaltyStateQuery, &v)
		s.Status = string(v.Status)
		return s, err
	case "repair":
		var v workflows.RepairState
		err := query(qctx, tc, wid, workflows.RepairStateQuery, &v)
		s.Status = string(v.Status)
		return s, err
	case "objection":
		var v workflows.ObjectionState
		err := query(qctx, tc, wid, workflows.ObjectionStateQuery, &v)
		s.Status = string(v.Status)
		return s, err
	case "training":
		var v workflows.TrainingState
		err := query(qctx, tc, wid, workflows.TrainingStateQuery, &v)
		s.Status = string(v.Status)
		s.Enrollments = map[string]string{}
		for _, e := range v.Enrollments {
			s.Enrollments[e.USCC] = string(e.Status)
		}
		return s, err
	case "withdrawal":
		var v workflows.WithdrawalOrderState
		err := query(qctx, tc, wid, workflows.WithdrawalStateQuery, &v)
		s.Status = string(v.Status)
		return s, err
	}
	return s, fmt.Errorf("unknown case kind %q", kind)
}

func query(ctx context.Context, tc client.Client, wid, name string, out any) error {
	v, err := tc.QueryWorkflow(ctx, wid, "", name)
	if err != nil {
		return err
	}
	return v.Get(out)
}
