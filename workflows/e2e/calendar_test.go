package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
