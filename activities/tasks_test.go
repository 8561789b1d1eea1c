package activities

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xinyong/domain"
)

func TestOpenCloseAndEscalateTaskTwiceActOnce(t *testing.T) {
	f := newFixture(t)
	due := domain.MustParseDate("2026-06-10")
	open := TaskInput{CaseKind: "repair", CaseID: "5", Step: "acceptance", Title: "受理信用修复申请",
		AssigneeRole: domain.RoleDepartment, DepartmentID: "sthjj", DueOn: &due}
	f.twice(func() error { return f.acts.OpenTask(f.ctx, open) },
		"open tasks", `SELECT count(*) FROM tasks WHERE case_kind = 'repair' AND case_id = '5' AND step = 'acceptance'`)

	esc := EscalateInput{CaseKind: "repair", CaseID: "5", Step: "acceptance", Title: "认定部门逾期未受理", DueOn: &due}
	f.twice(func() error { return f.acts.Escalate(f.ctx, esc) },
		"escalations", `SELECT count(*) FROM tasks WHERE case_kind = 'repair' AND case_id = '5' AND step = 'escalation:acceptance'
			AND assignee_role = 'credit_office'`)
	assert.Equal(t, 1, f.count(`SELECT count(*) FROM tasks WHERE case_id = '5' AND step = 'acceptance' AND overdue`))

	closeIn := CloseTaskInput{CaseKind: "repair", CaseID: "5", Step: "acceptance"}
	require.NoError(t, f.acts.CloseTask(f.ctx, closeIn))
	var first time.Time
	require.NoError(t, f.db.GetContext(f.ctx, &first, `SELECT closed_at FROM tasks WHERE case_id = '5' AND step = 'acceptance'`))
	// A retry after the task was closed, even one asking for another status, leaves the first closing.
	require.NoError(t, f.acts.CloseTask(f.ctx, CloseTaskInput{CaseKind: "repair", CaseID: "5", Step: "acceptance", Status: "cancelled"}))
	var again struct {
		Status   string    `db:"status"`
		ClosedAt time.Time `db:"closed_at"`
	}
	require.NoError(t, f.db.GetContext(f.ctx, &again, `SELECT status, closed_at FROM tasks WHERE case_id = '5' AND step = 'acceptance'`))
	assert.Equal(t, "done", again.Status)
	assert.True(t, first.Equal(again.ClosedAt), "closed once")
}

func TestNotifyAndAuditTwiceRecordOnce(t *testing.T) {
	f := newFixture(t)
	n := NotifyInput{Key: "repair-5:accepted", USCC: f.ent.USCC, Kind: "repair_accepted", Title: "信用修复申请已受理",
		Body: "你单位的信用修复申请已受理。", CaseKind: "repair", CaseID: "5"}
	f.twice(func() error { return f.acts.Notify(f.ctx, n) },
		"notifications", `SELECT count(*) FROM notifications WHERE dedup_key = 'repair-5:accepted'`)

	a := AuditInput{Key: "repair-5:accepted", Actor: "sthjj", Role: "department", Action: "repair.accepted",
		CaseKind: "repair", CaseID: "5", Details: map[string]any{"in_time": true}}
	f.twice(func() error { return f.acts.Audit(f.ctx, a) },
		"audit entries", `SELECT count(*) FROM audit_log WHERE case_kind = 'repair' AND case_id = '5' AND action = 'repair.accepted'`)
}

func TestPenaltyStepsTwiceRecordOnce(t *testing.T) {
	f := newFixture(t)
	id := f.penalty("镇环罚〔2026〕15号")
	step := PenaltyStepInput{PenaltyID: id, Status: domain.PenaltyNoticeIssued, Action: "penalty.notice_issued",
		Details: map[string]any{"letters": 2}}
	f.twice(func() error { return f.acts.PenaltyStep(f.ctx, step) },
		"audit entries", `SELECT count(*) FROM audit_log WHERE case_kind = 'penalty' AND case_id = $1::text AND action = 'penalty.notice_issued'`, id)

	d := RecordDeliveryInput{PenaltyID: id, Method: "post", DeliveredOn: domain.MustParseDate("2026-05-22"), SignedBy: "王堃",
		Actor: "sthjj", Role: "department"}
	f.twice(func() error { return f.acts.RecordDelivery(f.ctx, d) },
		"delivery entries", `SELECT count(*) FROM audit_log WHERE case_kind = 'penalty' AND case_id = $1::text AND action = 'penalty.delivery'`, id)
	assert.Equal(t, 1, f.count(`SELECT count(*) FROM penalties WHERE id = $1 AND delivered_on = '2026-05-22' AND delivery_signed_by = '王堃'`, id))

	r := RecordRevocationInput{PenaltyID: id, DecidedOn: domain.MustParseDate("2026-06-01"), Reason: "行政复议撤销", Actor: "sthjj", Role: "department"}
	f.twice(func() error { return f.acts.RecordRevocation(f.ctx, r) },
		"revocation entries", `SELECT count(*) FROM audit_log WHERE case_kind = 'penalty' AND case_id = $1::text AND action = 'penalty.revocation'`, id)
	// A second revocation with another reason does not overwrite the first.
	require.NoError(t, f.acts.RecordRevocation(f.ctx, RecordRevocationInput{PenaltyID: id, DecidedOn: domain.MustParseDate("2026-06-02"), Reason: "另一理由"}))
	assert.Equal(t, 1, f.count(`SELECT count(*) FROM penalties WHERE id = $1 AND revoked_on = '2026-06-01' AND revocation_reason = '行政复议撤销'`, id))
}
