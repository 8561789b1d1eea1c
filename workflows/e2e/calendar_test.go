package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xinyong/domain"
	httpapi "xinyong/http"
	"xinyong/storage"
)

// TestLoadingAYearRecomputesProvisionalDeadlines drives the provisional-deadline path end to end over HTTP with a
// real Temporal server and PostgreSQL: without the current year's notice a new repair case's deadlines are
// provisional (API provisional: true); an admin loads the notice, the server signals the running case, and the case
// counts its deadlines again, stores them as final and records the change in its history.
func TestLoadingAYearRecomputesProvisionalDeadlines(t *testing.T) {
	s := newStack(t)
	year := time.Now().In(time.FixedZone("CST", 8*3600)).Year()
	notice, err := os.ReadFile(fmt.Sprintf("../../domain/holidays/%d.json", year))
	if err != nil {
		t.Skipf("no embedded notice for %d", year)
	}
	_, err = s.db.Exec(`DELETE FROM calendar_years WHERE year = $1`, year)
	require.NoError(t, err)

	a := storage.DemoEnterprises[1]
	firm := s.token(a.USCC)
	p := s.registerGeneralFine("镇环罚〔2026〕61号", a, fmt.Sprintf("%d-01-05", year))
	var created struct {
		ID        int64 `json:"id"`
		Deadlines struct {
			Acceptance  string          `json:"acceptance"`
			Provisional map[string]bool `json:"provisional"`
		} `json:"deadlines"`
	}
	require.Equal(t, 201, s.call("POST", "/api/v1/repairs", firm, map[string]any{"penalty_id": p.ID, "commitment_accepted": true,
		"statement": "已缴清罚款"}, &created))
	var got struct {
		Deadlines struct {
			Acceptance  string          `json:"acceptance"`
			Provisional map[string]bool `json:"provisional"`
		} `json:"deadlines"`
		History []struct {
			Step string `json:"step"`
		} `json:"history"`
	}
	path := fmt.Sprintf("/api/v1/repairs/%d", created.ID)
	require.Equal(t, 200, s.call("GET", path, firm, nil, &got))
	assert.True(t, got.Deadlines.Provisional["acceptance"], "%d has no notice: %+v", year, got.Deadlines)
	assert.True(t, got.Deadlines.Provisional["overall"])

	resp := s.call("POST", "/api/v1/calendar/years", s.token("admin"), json.RawMessage(notice), nil)
	require.Equal(t, 201, resp)
	s.eventually(30*time.Second, "the case counts its deadlines again", func() bool {
		got.Deadlines.Provisional, got.History = nil, nil // decoding into a map merges; start afresh
		require.Equal(t, 200, s.call("GET", path, firm, nil, &got))
		return len(got.Deadlines.Provisional) == 0
	})
	steps := make([]string, len(got.History))
	for i, h := range got.History {
		steps[i] = h.Step
	}
	assert.True(t, slices.Contains(steps, "repair.deadlines_recomputed"), "history: %v", steps)
	var stored []string
	require.NoError(t, s.db.Select(&stored, `SELECT unnest(provisional_deadlines) FROM repairs WHERE id = $1`, created.ID))
	assert.Empty(t, stored, "stored as final")
}

// TestCalendarImportTellsPenaltiesWithProvisionalDeadlines loads a year the way `xinyong calendar import` does
// (httpapi.LoadHolidayYear, the path the admin page shares): a penalty registered while its year's notice is
// missing has provisional delivery and 双公示 deadlines (API provisional, stored as provisional); after the load its
// running workflow counts them again, they are final, the tasks carry the dates and the history records it.
func TestCalendarImportTellsPenaltiesWithProvisionalDeadlines(t *testing.T) {
	s := newStack(t)
	cst := time.FixedZone("CST", 8*3600)
	today := time.Now().In(cst)
	notice, err := os.ReadFile(fmt.Sprintf("../../domain/holidays/%d.json", today.Year()))
	if err != nil {
		t.Skipf("no embedded notice for %d", today.Year())
	}
	_, err = s.db.Exec(`DELETE FROM calendar_years WHERE year = $1`, today.Year())
	require.NoError(t, err)

	p := s.registerGeneralFine("镇环罚〔2026〕62号", storage.DemoEnterprises[2], today.Format("2006-01-02"))
	type detail struct {
		DeliveryDue string          `json:"delivery_due"`
		PublishDue  string          `json:"publish_due"`
		Provisional map[string]bool `json:"provisional"`
		History     []struct {
			Step string `json:"step"`
		} `json:"history"`
	}
	path := fmt.Sprintf("/api/v1/penalties/%d", p.ID)
	var got detail
	s.eventually(30*time.Second, "the penalty keeps its deadlines with their origins", func() bool {
		got.Provisional = nil
		require.Equal(t, 200, s.call("GET", path, s.token("sthjj"), nil, &got))
		return got.Provisional["delivery"] && got.Provisional["publish"]
	})

	hy, err := domain.ParseHolidayYear(bytes.NewReader(notice))
	require.NoError(t, err)
	told, err := httpapi.LoadHolidayYear(context.Background(), s.db, s.temporal, hy, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	assert.GreaterOrEqual(t, told, 1, "the penalty's workflow is told")
	s.eventually(30*time.Second, "the penalty counts its deadlines again", func() bool {
		got.Provisional = nil
		require.Equal(t, 200, s.call("GET", path, s.token("sthjj"), nil, &got))
		return len(got.Provisional) == 0
	})
	var audited int
	require.NoError(t, s.db.Get(&audited, `SELECT count(*) FROM audit_log WHERE case_kind = 'penalty' AND case_id = $1
		AND action = 'penalty.deadlines_recomputed'`, fmt.Sprint(p.ID)))
	assert.Equal(t, 1, audited, "the change is in the case's history")
	var stored struct {
		Delivery string `db:"delivery_due"`
		Task     string `db:"task_due"`
	}
	require.NoError(t, s.db.Get(&stored, `SELECT p.delivery_due::text AS delivery_due, t.due_on::text AS task_due FROM penalties p
		JOIN tasks t ON t.case_kind = 'penalty' AND t.case_id = p.id::text AND t.step = 'delivery' WHERE p.id = $1`, p.ID))
	assert.Equal(t, got.DeliveryDue, stored.Delivery)
	assert.Equal(t, stored.Delivery, stored.Task, "the delivery task carries the date")
}

// TestSAMRPeriodsRunFromThePublicationDate (SAMR Order 45 art. 13: 自公示之日起): a market-supervision record
// registered without a publication date has its periods counted from the decision for now; once its channels
// confirm it, the penalty workflow stores the day it was first shown as published_on and counts the periods from
// it (the repair eligibility and the end of publication move; the history says so).
func TestSAMRPeriodsRunFromThePublicationDate(t *testing.T) {
	s := newStack(t)
	ent := storage.DemoEnterprises[3]
	var p penaltyAnswer
	require.Equal(t, 201, s.call("POST", "/api/v1/penalties", s.token("scjgj"), map[string]any{
		"decision_no": "镇市监罚〔2026〕131号", "uscc": ent.USCC, "enterprise_name": ent.Name, "decided_on": "2026-11-02",
		"penalty_types": []string{"confiscation"}, "facts": "销售不合格产品", "legal_basis": "《产品质量法》第四十九条",
	}, &p))
	require.Equal(t, "samr-2025", p.RuleSet)
	require.Equal(t, "2027-02-03", p.RepairEligibleFrom, "counted from the decision until the publication date is known")
	require.Equal(t, "2027-11-02", p.PublicationEnds)

	s.publishRecordEverywhere(p.ID)
	var got struct {
		PublishedOn        string `json:"published_on"`
		RepairEligibleFrom string `json:"repair_eligible_from"`
		PublicationEnds    string `json:"publication_ends"`
	}
	s.eventually(30*time.Second, "the periods are counted from the publication date", func() bool {
		require.Equal(t, 200, s.call("GET", fmt.Sprintf("/api/v1/penalties/%d", p.ID), s.token("scjgj"), nil, &got))
		return got.PublishedOn != ""
	})
	var first string
	require.NoError(t, s.db.Get(&first, `SELECT to_char(min(published_at) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')
		FROM publications WHERE penalty_id = $1`, p.ID))
	assert.Equal(t, first, got.PublishedOn, "the day it was first shown")
	on := domain.MustParseDate(first)
	assert.Equal(t, domain.EligibleAfter(on, 3).String(), got.RepairEligibleFrom, "3 months from publication")
	assert.Equal(t, on.AddMonths(12).String(), got.PublicationEnds, "12 months from publication")
	var audited int
	require.NoError(t, s.db.Get(&audited, `SELECT count(*) FROM audit_log WHERE case_kind = 'penalty' AND case_id = $1
		AND action = 'penalty.periods_from_publication'`, fmt.Sprint(p.ID)))
	assert.Equal(t, 1, audited)
}
