package storage

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// SeedScale fills the tables the list and home pages read with n penalties over n/10 enterprises (10 each), one
// letter, one notification and one audit row per penalty, a repair per 10 records, an objection and a withdrawal
// per 20, and a task per 2 (one in ten of them still open). It is for the index tests and the benchmark command
// (cmd/bench), never for a database in service: set-based INSERT … SELECT keeps 1,000,000 records to about a
// minute. The seeded USCCs ('9' and 17 digits) do not carry valid check characters, so no registration can clash
// with them.
func (db *DB) SeedScale(ctx context.Context, n int, logf func(string, ...any)) error {
	if n < 20 {
		return fmt.Errorf("storage: seed at least 20 penalties, not %d", n)
	}
	start := time.Now()
	stmts := []string{
		`INSERT INTO departments (id, name) SELECT 'sd' || i, '规模部门' || i FROM generate_series(1, 20) i`,
		`INSERT INTO enterprises (uscc, name) SELECT '9' || lpad(i::text, 17, '0'), '规模企业' || i FROM generate_series(1, $1 / 10) i`,
		`INSERT INTO penalties (department_id, decision_no, uscc, enterprise_name, decided_on, penalty_types, class,
				rule_set, published, publish_due, repair_eligible_from, publication_ends, status, created_by, delivery_due,
				delivered_on)
			SELECT 'sd' || (i % 20 + 1), 'S-' || i, '9' || lpad((i % ($1 / 10) + 1)::text, 17, '0'), '规模企业',
				date '2016-01-01' + (i % 3650), '{fine}', 'general', 'ndrc-2026', true,
				date '2016-01-08' + (i % 3650), date '2016-04-01' + (i % 3650), date '2019-01-01' + (i % 3650),
				(ARRAY['registered', 'notice_issued', 'delivered', 'published', 'eligible', 'withdrawn'])[i % 6 + 1],
				'seed', date '2016-01-15' + (i % 3650), CASE WHEN i % 6 = 0 THEN NULL ELSE date '2016-01-10' + (i % 3650) END
			FROM generate_series(1, $1) i`,
		`INSERT INTO channels (id, name, kind) VALUES ('sc1', '规模渠道一', 'manual'), ('sc2', '规模渠道二', 'manual')`,
		`INSERT INTO publications (penalty_id, channel_id, status, due_on)
			SELECT p.id, c.id, 'published', p.publish_due FROM penalties p CROSS JOIN (SELECT id FROM channels WHERE id IN ('sc1', 'sc2')) c`,
		`INSERT INTO letters (kind, case_kind, case_id, title, issuer, addressee, uscc, department_id, issued_on, sha256,
				verify_code, pdf)
			SELECT 'penalty_notice', 'penalty', p.id::text, '告知书', '规模部门', '规模企业', p.uscc, p.department_id,
				p.decided_on, '', 'v' || p.id, '\x' FROM penalties p`,
		`INSERT INTO audit_log (case_kind, case_id, action, actor, role)
			SELECT 'penalty', p.id::text, 'penalty.register', 'seed', 'department' FROM penalties p`,
		`INSERT INTO notifications (uscc, kind, title, case_kind, case_id)
			SELECT p.uscc, 'penalty_registered', '新的信用记录', 'penalty', p.id::text FROM penalties p`,
		`INSERT INTO notifications (department_id, kind, title, case_kind, case_id)
			SELECT p.department_id, 'repair_applied', '信用修复申请', 'penalty', p.id::text FROM penalties p WHERE p.id % 10 = 0`,
		`INSERT INTO repairs (penalty_id, uscc, department_id, rule_set, applied_on, applicant_login, commitment_accepted_at,
				status, overdue)
			SELECT p.id, p.uscc, p.department_id, 'ndrc-2026', p.decided_on + 100, 'seed', now(),
				CASE WHEN p.id % 30 = 0 THEN 'verifying' ELSE 'approved' END, p.id % 70 = 0
			FROM penalties p WHERE p.id % 10 = 0`,
		`INSERT INTO objections (penalty_id, uscc, department_id, grounds, rule_set, filed_on, filed_by, filed_by_role,
				commitment_accepted_at, status, overdue)
			SELECT p.id, p.uscc, p.department_id, 'wrong_content', 'ndrc-2026', p.decided_on + 20, 'seed', 'enterprise',
				now(), CASE WHEN p.id % 60 = 0 THEN 'verifying' ELSE 'closed' END, p.id % 140 = 0
			FROM penalties p WHERE p.id % 20 = 0`,
		`INSERT INTO withdrawals (penalty_id, cause, status, ordered_on)
			SELECT p.id, 'expiry', 'completed', p.publication_ends FROM penalties p WHERE p.id % 20 = 0`,
		`INSERT INTO tasks (case_kind, case_id, step, title, assignee_role, department_id, uscc, due_on, status)
			SELECT 'penalty', p.id::text, 'deliver', '送达', CASE WHEN p.id % 4 = 0 THEN 'enterprise' ELSE 'department' END,
				p.department_id, p.uscc, p.delivery_due, CASE WHEN p.id % 20 = 0 THEN 'open' ELSE 'done' END
			FROM penalties p WHERE p.id % 2 = 0`,
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("storage: seed: %w", err)
	}
	defer conn.Close()
	// The seed is consistent by construction; skipping the foreign-key triggers halves its time.
	if _, err := conn.ExecContext(ctx, `SET session_replication_role = replica`); err != nil {
		return fmt.Errorf("storage: seed: %w", err)
	}
	for _, s := range stmts {
		var args []any
		if strings.Contains(s, "$1") {
			args = append(args, n)
		}
		t0 := time.Now()
		if _, err := conn.ExecContext(ctx, s, args...); err != nil {
			return fmt.Errorf("storage: seed %.60s: %w", strings.Join(strings.Fields(s), " "), err)
		}
		logf("%6.2fs %.60s", time.Since(t0).Seconds(), strings.Join(strings.Fields(s), " "))
	}
	// VACUUM as well as ANALYZE: ten years of records at rest have been vacuumed long ago (their pages all-visible,
	// so index-only scans read no heap); without it autovacuum works through the fresh tables during the
	// measurements. The CHECKPOINT writes the seed's pages out now rather than while the measurements run.
	for _, s := range []string{`RESET session_replication_role`, `VACUUM (ANALYZE)`, `CHECKPOINT`} {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("storage: seed: %w", err)
		}
	}
	logf("seeded %d penalties over %d enterprises in %s", n, n/10, time.Since(start).Round(time.Millisecond))
	return nil
}
