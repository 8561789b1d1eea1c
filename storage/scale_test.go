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

// seedScale fills the tables enterprise pages read (storage.SeedScale, which the benchmark command uses too).
func seedScale(t *testing.T, db *storage.DB, n int) {
	t.Helper()
	require.NoError(t, db.SeedScale(context.Background(), n, t.Logf))
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
	db := &storage.DB{DB: sqlx.NewDb(sqlDB, "postgres"), Unprepared: true}

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
			ps, err := db.ListPenalties(ctx, storage.PenaltyFilter{USCC: uscc, Overdue: "delivery", Limit: 50})
			return len(ps), err
		}, 0},
		{"publications of the newest records", func() (int, error) {
			var b storage.Batch
			var m map[int64][]storage.Publication
			b.NewestPublications(uscc, 50, &m)
			err := db.Run(ctx, &b)
			return len(m), err
		}, 10},
		{"repairs", func() (int, error) {
			rs, err := db.ListRepairs(ctx, storage.RepairFilter{CaseFilter: storage.CaseFilter{USCC: uscc, Limit: 20}})
			return len(rs), err
		}, 1},
		{"repairs next page", func() (int, error) {
			rs, err := db.ListRepairs(ctx, storage.RepairFilter{CaseFilter: storage.CaseFilter{USCC: uscc, AfterOverdue: &overdueTrue, AfterID: int64(n), Limit: 20}})
			return len(rs), err
		}, 1},
		{"objections", func() (int, error) {
			os, err := db.ListObjections(ctx, storage.ObjectionFilter{CaseFilter: storage.CaseFilter{USCC: uscc, Limit: 20}})
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
		{"trainings of the enterprise", func() (int, error) {
			var b storage.Batch
			var m map[int64]storage.Training
			b.TrainingsOfUSCC(uscc, &m)
			err := db.Run(ctx, &b)
			return len(m), err
		}, 0},
		{"withdrawals by channel", func() (int, error) {
			ws, err := db.EnterpriseChannelStates(ctx, uscc, 50)
			return len(ws), err
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
		// The home pages (issue 17): what GET / reads for the enterprise, a department with 50,000 records and the
		// credit office, besides the lists above.
		{"home: enterprise inbox", func() (int, error) {
			ts, err := db.OpenTasks(ctx, storage.TaskFilter{Role: domain.RoleEnterprise, USCC: uscc, Inbox: true, UserID: 1})
			return len(ts), err
		}, 0},
		{"home: enterprise notifications", func() (int, error) {
			ns, err := db.NotificationsFor(ctx, uscc, "", 50)
			return len(ns), err
		}, 10},
		{"home: department inbox", func() (int, error) {
			// The seed's open tasks of sd1 (50,000 at 1,000,000 records) are all the enterprises' own: the department's
			// inbox is empty and must not read them to find that out.
			ts, err := db.OpenTasks(ctx, storage.TaskFilter{Role: domain.RoleDepartment, DepartmentID: "sd1", Inbox: true, UserID: 1})
			return len(ts), err
		}, 0},
		{"home: department objections to verify", func() (int, error) {
			os, err := db.ListObjections(ctx, storage.ObjectionFilter{CaseFilter: storage.CaseFilter{DepartmentID: "sd1",
				Status: string(domain.ObjectionVerifying), Limit: 50}})
			return len(os), err
		}, 1},
		{"home: department open trainings", func() (int, error) {
			ts, err := db.ListTrainings(ctx, storage.TrainingFilter{Status: string(domain.TrainingOpen), Limit: 20})
			return len(ts), err
		}, 0},
		{"home: department urges", func() (int, error) {
			ns, err := db.NotificationsFor(ctx, "", "sd1", 20)
			return len(ns), err
		}, 20},
		{"home: office inbox", func() (int, error) {
			ts, err := db.OpenTasks(ctx, storage.TaskFilter{Role: domain.RoleCreditOffice, Inbox: true, UserID: 1})
			return len(ts), err
		}, 0},
		{"home: office objection counts", func() (int, error) {
			_, err := db.ObjectionStatistics(ctx, "", "")
			return 0, err
		}, 0},
		{"home: office repair counts", func() (int, error) {
			_, err := db.RepairStatistics(ctx, "")
			return 0, err
		}, 0},
		{"home: office late deliveries", func() (int, error) {
			ps, err := db.ListPenalties(ctx, storage.PenaltyFilter{Overdue: "delivery", Limit: 20})
			return len(ps), err
		}, 1},
		{"home: office late publications", func() (int, error) {
			ps, err := db.ListPenalties(ctx, storage.PenaltyFilter{Overdue: "publication", Limit: 20})
			return len(ps), err
		}, 1},
		{"home: office trainings", func() (int, error) {
			ts, err := db.ListTrainings(ctx, storage.TrainingFilter{Limit: 20})
			return len(ts), err
		}, 0},
		{"home: office withdrawals in progress", func() (int, error) {
			ws, err := db.ListWithdrawals(ctx, storage.WithdrawalFilter{Status: string(domain.WithdrawalInProgress), Limit: 200})
			return len(ws), err
		}, 0},
		{"home: office withdrawals pending", func() (int, error) {
			ws, err := db.ListWithdrawals(ctx, storage.WithdrawalFilter{Status: string(domain.WithdrawalPending), Limit: 200})
			return len(ws), err
		}, 0},
	}
	// The one table a query may read in full: the credit office's city-wide counts, which its home page takes at most
	// once a minute and labels with the time it counted (http/home_cache.go).
	whole := map[string]string{"home: office objection counts": "objections", "home: office repair counts": "repairs"}
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
				if !big[node.Relation] || node.Relation == whole[c.name] {
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
