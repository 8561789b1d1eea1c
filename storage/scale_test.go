package storage_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/stretchr/testify/require"

	"xinyong/domain"
	"xinyong/storage"
	"xinyong/storage/pgtest"
)

// scaleRows is the number of penalties the plan test seeds: 100,000 by default so the test stays quick,
// XINYONG_SCALE_ROWS=1000000 for the volume of issue 17 (a city's ten years of records).
func scaleRows(t *testing.T) int {
	n := 100_000
	if v := os.Getenv("XINYONG_SCALE_ROWS"); v != "" {
		var err error
		n, err = strconv.Atoi(v)
		require.NoError(t, err, "XINYONG_SCALE_ROWS")
		require.GreaterOrEqual(t, n, 10_000, "XINYONG_SCALE_ROWS")
	}
	return n
}

// seedScale fills the tables enterprise pages read: n penalties over n/10 enterprises (10 each), one letter, one
// notification and one audit row per penalty, a repair per 10 records, an objection and a withdrawal per 20, and a
// task per 2 (one in ten of them still open). Set-based INSERT … SELECT keeps it to seconds.
func seedScale(t *testing.T, db *storage.DB, n int) {
	t.Helper()
	ctx := context.Background()
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
	require.NoError(t, err)
	defer conn.Close()
	// The seed is consistent by construction; skipping the foreign-key triggers halves its time.
	_, err = conn.ExecContext(ctx, `SET session_replication_role = replica`)
	require.NoError(t, err)
	for _, s := range stmts {
		var args []any
		if strings.Contains(s, "$1") {
			args = append(args, n)
		}
		t0 := time.Now()
		_, err := conn.ExecContext(ctx, s, args...)
		require.NoError(t, err, s)
		t.Logf("%6.2fs %.60s", time.Since(t0).Seconds(), strings.Join(strings.Fields(s), " "))
	}
	_, err = conn.ExecContext(ctx, `RESET session_replication_role`)
	require.NoError(t, err)
	_, err = conn.ExecContext(ctx, `ANALYZE`)
	require.NoError(t, err)
	t.Logf("seeded %d penalties over %d enterprises in %s", n, n/10, time.Since(start).Round(time.Millisecond))
}

// The lists an enterprise's pages and home page run must read an index range at any volume: no sequential scan of
// a seeded table and no scan that reads many rows only to drop them (issue 17: comparing char(18) uscc with a text
// parameter walked the primary key over every record, 247 ms at 1,000,000 rows).
func TestEnterpriseListsUseIndexesAtScale(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds a large database")
	}
	ctx := context.Background()
	n := scaleRows(t)
	dsn := pgtest.DSN(t)
	seeder, err := storage.Open(ctx, dsn)
	require.NoError(t, err)
	defer seeder.Close()
	seedScale(t, seeder, n)

	rec := &planRecorder{}
	conn, err := pq.NewConnector(dsn)
	require.NoError(t, err)
	sqlDB := sql.OpenDB(explainingConnector{inner: conn, rec: rec})
	defer sqlDB.Close()
	db := &storage.DB{DB: sqlx.NewDb(sqlDB, "postgres")}

	// An enterprise in the middle of the key range: 10 records, like every other.
	// Enterprise k owns the records k, k+E, k+2E, ... (E = n/10); k = n/20+1 puts them on multiples of 20, so it
	// also has repair cases, objections, withdrawals and open tasks.
	uscc := fmt.Sprintf("9%017d", n/20+1)
	before := int64(n / 2)
	overdueTrue := true

	cases := []struct {
		name string
		run  func() (int, error)
		min  int // rows the query must return, so a plan over an empty result cannot pass by accident
	}{
		{"penalties newest", func() (int, error) {
			ps, err := db.ListPenalties(ctx, storage.PenaltyFilter{USCC: uscc, Newest: true, Limit: 50})
			return len(ps), err
		}, 10},
		{"penalties next page", func() (int, error) {
			ps, err := db.ListPenalties(ctx, storage.PenaltyFilter{USCC: uscc, Newest: true, BeforeID: before, Limit: 50})
			return len(ps), err
		}, 1},
		{"penalties in id order", func() (int, error) {
			ps, err := db.ListPenalties(ctx, storage.PenaltyFilter{USCC: uscc, Limit: 50})
			return len(ps), err
		}, 10},
		{"penalties by status", func() (int, error) {
			ps, err := db.ListPenalties(ctx, storage.PenaltyFilter{USCC: uscc, Status: "published", Limit: 50})
			return len(ps), err
		}, 0},
		{"penalties delivery overdue", func() (int, error) {
			ps, err := db.ListPenalties(ctx, storage.PenaltyFilter{USCC: uscc, Overdue: "delivery", Today: domain.Today(), Limit: 50})
			return len(ps), err
		}, 0},
		{"publications of a page", func() (int, error) {
			ps, err := db.ListPenalties(ctx, storage.PenaltyFilter{USCC: uscc, Newest: true, Limit: 50})
			if err != nil {
				return 0, err
			}
			rec.reset()
			ids := make([]int64, len(ps))
			for i, p := range ps {
				ids[i] = p.ID
			}
			m, err := db.PublicationsOfPenalties(ctx, ids)
			return len(m), err
		}, 10},
		{"repairs", func() (int, error) {
			rs, err := db.ListRepairs(ctx, storage.RepairFilter{USCC: uscc, Limit: 20})
			return len(rs), err
		}, 1},
		{"repairs next page", func() (int, error) {
			rs, err := db.ListRepairs(ctx, storage.RepairFilter{USCC: uscc, AfterOverdue: &overdueTrue, AfterID: int64(n), Limit: 20})
			return len(rs), err
		}, 1},
		{"objections", func() (int, error) {
			os, err := db.ListObjections(ctx, storage.ObjectionFilter{USCC: uscc, Limit: 20})
			return len(os), err
		}, 0},
		{"objection statistics", func() (int, error) {
			_, err := db.ObjectionStatistics(ctx, "", uscc)
			return 0, err
		}, 0},
		{"withdrawals", func() (int, error) {
			ws, err := db.ListWithdrawals(ctx, storage.WithdrawalFilter{USCC: uscc, Limit: 50})
			return len(ws), err
		}, 0},
		{"notifications", func() (int, error) {
			ns, err := db.NotificationsFor(ctx, uscc, "", 50)
			return len(ns), err
		}, 10},
		{"department notifications", func() (int, error) {
			ns, err := db.NotificationsFor(ctx, "", "sd1", 50)
			return len(ns), err
		}, 50},
		{"open tasks", func() (int, error) {
			ts, err := db.OpenTasks(ctx, storage.TaskFilter{Role: domain.RoleEnterprise, USCC: uscc})
			return len(ts), err
		}, 0},
		{"trainings", func() (int, error) {
			ts, err := db.ListTrainings(ctx, storage.TrainingFilter{OpenOrUSCC: uscc})
			return len(ts), err
		}, 0},
		{"enrollments", func() (int, error) {
			es, err := db.EnrollmentsOfUSCC(ctx, uscc)
			return len(es), err
		}, 0},
		{"training certificate", func() (int, error) {
			_, err := db.TrainingCertificateOf(ctx, uscc)
			return 0, err
		}, 0},
		{"penalty detail", func() (int, error) {
			_, err := db.GetPenalty(ctx, before)
			return 1, err
		}, 1},
		{"letters of a penalty", func() (int, error) {
			ls, err := db.LettersOf(ctx, "penalty", strconv.FormatInt(before, 10))
			return len(ls), err
		}, 1},
		{"audit of a penalty", func() (int, error) {
			es, err := db.AuditOf(ctx, "penalty", strconv.FormatInt(before, 10))
			return len(es), err
		}, 1},
		{"attachments", func() (int, error) {
			ids, err := db.AttachmentsOfEnterprise(ctx, uscc, []int64{1, 2, 3})
			return len(ids), err
		}, 0},
	}
	big := map[string]bool{"penalties": true, "publications": true, "letters": true, "audit_log": true,
		"notifications": true, "repairs": true, "objections": true, "withdrawals": true, "tasks": true}
	for _, c := range cases {
		rec.reset()
		got, err := c.run()
		require.NoError(t, err, c.name)
		require.GreaterOrEqual(t, got, c.min, c.name)
		plans := rec.take()
		require.NotEmpty(t, plans, c.name)
		for _, p := range plans {
			var root []struct {
				Plan          planNode `json:"Plan"`
				ExecutionTime float64  `json:"Execution Time"`
			}
			require.NoError(t, json.Unmarshal(p, &root), c.name)
			require.Len(t, root, 1)
			root[0].Plan.walk(func(node planNode) {
				if !big[node.Relation] {
					return
				}
				require.NotEqual(t, "Seq Scan", node.Type, "%s: sequential scan of %s\n%s", c.name, node.Relation, p)
				require.Less(t, node.RowsRemovedByFilter, 1000.0, "%s: %s read rows only to drop them\n%s", c.name, node.Relation, p)
			})
			t.Logf("%-28s %7.3f ms  %s", c.name, root[0].ExecutionTime, root[0].Plan.summary())
		}
	}
}

type planNode struct {
	Type                string     `json:"Node Type"`
	Relation            string     `json:"Relation Name"`
	Index               string     `json:"Index Name"`
	RowsRemovedByFilter float64    `json:"Rows Removed by Filter"`
	Loops               float64    `json:"Actual Loops"`
	Plans               []planNode `json:"Plans"`
}

func (n planNode) walk(fn func(planNode)) {
	fn(n)
	for _, c := range n.Plans {
		c.walk(fn)
	}
}

// summary names the scans of a plan, e.g. "Index Scan penalties_uscc_id on penalties".
func (n planNode) summary() string {
	var parts []string
	n.walk(func(m planNode) {
		switch {
		case m.Relation != "" && m.Index != "":
			parts = append(parts, m.Type+" on "+m.Relation+" ("+m.Index+")")
		case m.Relation != "":
			parts = append(parts, m.Type+" on "+m.Relation)
		case m.Index != "":
			parts = append(parts, m.Type+" "+m.Index)
		}
	})
	return strings.Join(parts, ", ")
}

// planRecorder keeps the EXPLAIN ANALYZE output of every query run through an explainingConnector.
type planRecorder struct {
	mu    sync.Mutex
	plans [][]byte
}

func (r *planRecorder) reset() { r.mu.Lock(); r.plans = nil; r.mu.Unlock() }

func (r *planRecorder) take() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.plans
	r.plans = nil
	return p
}

// explainingConnector runs storage's own statements, with their own parameters and thus their own parameter
// types, after explaining them on the same connection: the test checks the plans of the code that ships.
type explainingConnector struct {
	inner driver.Connector
	rec   *planRecorder
}

func (c explainingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &explainingConn{Conn: conn, rec: c.rec}, nil
}

func (c explainingConnector) Driver() driver.Driver { return c.inner.Driver() }

type explainingConn struct {
	driver.Conn
	rec *planRecorder
}

func (c *explainingConn) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := c.Conn.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

func (c *explainingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q := c.Conn.(driver.QueryerContext)
	rows, err := q.QueryContext(ctx, "EXPLAIN (ANALYZE, FORMAT JSON) "+query, args)
	if err != nil {
		return nil, fmt.Errorf("explain: %w", err)
	}
	dest := make([]driver.Value, len(rows.Columns()))
	if err := rows.Next(dest); err != nil && err != io.EOF {
		rows.Close()
		return nil, err
	}
	rows.Close()
	var plan []byte
	switch v := dest[0].(type) {
	case []byte:
		plan = append([]byte(nil), v...)
	case string:
		plan = []byte(v)
	}
	c.rec.mu.Lock()
	c.rec.plans = append(c.rec.plans, plan)
	c.rec.mu.Unlock()
	return q.QueryContext(ctx, query, args)
}
