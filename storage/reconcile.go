package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"

	"xinyong/domain"
)

// Case kinds whose rows the reconciler checks against their workflows.
const (
	ReconcileRepair    = "repair"
	ReconcileObjection = "objection"
	ReconcilePenalty   = "penalty"
	ReconcileImport    = "import"
	ReconcileTraining  = "training"
	// ReconcileListing: list entries (abnormal and serious lists), whose lifecycle is RecordWorkflow under
	// penalty-<id>.
	ReconcileListing = "listing"
)

// ReconcileKinds lists them in the order the reconciler goes through them.
var ReconcileKinds = []string{ReconcileImport, ReconcilePenalty, ReconcileRepair, ReconcileObjection, ReconcileTraining,
	ReconcileListing}

// CasesAwaitingWorkflow lists, in id order after afterID, the rows of a kind created before a time that should have
// a workflow: repair and objection cases and training sessions still in progress, imports still starting their
// lifecycles, penalties whose lifecycle was never marked started.
func (db *DB) CasesAwaitingWorkflow(ctx context.Context, kind string, afterID int64, createdBefore time.Time, limit int) ([]int64, error) {
	var q string
	args := []any{afterID, createdBefore, limit}
	switch kind {
	case ReconcileRepair:
		q = `SELECT id FROM repairs WHERE id > $1 AND created_at < $2 AND status = ANY($4) ORDER BY id LIMIT $3`
		args = append(args, stringArray(domain.RepairOpenStatuses))
	case ReconcileObjection:
		q = `SELECT id FROM objections WHERE id > $1 AND created_at < $2 AND status <> 'closed' ORDER BY id LIMIT $3`
	case ReconcileImport:
		q = `SELECT id FROM penalty_imports WHERE id > $1 AND created_at < $2 AND status = 'starting' ORDER BY id LIMIT $3`
	case ReconcileTraining:
		q = `SELECT id FROM trainings WHERE id > $1 AND created_at < $2 AND status <> 'closed' ORDER BY id LIMIT $3`
	case ReconcilePenalty:
		q = `SELECT id FROM penalties WHERE id > $1 AND created_at < $2 AND lifecycle_started_at IS NULL
			AND record_kind <> ALL($4) ORDER BY id LIMIT $3`
		args = append(args, pq.StringArray{RecordAbnormalList, RecordSeriousList})
	case ReconcileListing:
		q = `SELECT id FROM penalties WHERE id > $1 AND created_at < $2 AND lifecycle_started_at IS NULL
			AND record_kind = ANY($4) ORDER BY id LIMIT $3`
		args = append(args, pq.StringArray{RecordAbnormalList, RecordSeriousList})
	default:
		return nil, fmt.Errorf("cases awaiting workflow: unknown kind %q", kind)
	}
	ids := []int64{}
	if err := db.SelectContext(ctx, &ids, q, args...); err != nil {
		return nil, fmt.Errorf("%s cases awaiting workflow: %w", kind, err)
	}
	return ids, nil
}
