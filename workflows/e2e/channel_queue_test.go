package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xinyong/storage"
)

// TestChannelOperatorQueueShowsTheRecord is acceptance 4 of issue 15 for publication: the operator's queue item
// carries what the channel publishes; the operator still gets no other part of the case.
func TestChannelOperatorQueueShowsTheRecord(t *testing.T) {
	s := newStack(t)
	ent := storage.DemoEnterprises[2]
	sthjj, op := s.token("sthjj"), s.token("op-gsxt")
	var p struct {
		ID int64 `json:"id"`
	}
	require.Equal(t, 201, s.call("POST", "/api/v1/penalties", sthjj, map[string]any{
		"decision_no": "镇环罚〔2026〕21号", "uscc": ent.USCC, "enterprise_name": ent.Name, "decided_on": "2026-05-20",
		"penalty_types": []string{"fine"}, "fine_amount_yuan": 80000, "facts": "未批先建", "legal_basis": "《环境影响评价法》第三十一条",
	}, &p))
	type queue struct {
		ChannelID string `json:"channel_id"`
		Items     []struct {
			Action string `json:"action"`
			Record struct {
				PenaltyID       int64  `json:"penalty_id"`
				DecisionNo      string `json:"decision_no"`
				Facts           string `json:"facts"`
				LegalBasis      string `json:"legal_basis"`
				FineAmountYuan  string `json:"fine_amount_yuan"`
				PublicationEnds string `json:"publication_ends"`
			} `json:"record"`
		} `json:"items"`
	}
	var q queue
	s.eventually(60*time.Second, "the publication in the gsxt queue", func() bool {
		require.Equal(t, 200, s.call("GET", "/api/v1/channels/gsxt/queue", op, nil, &q))
		return len(q.Items) > 0
	})
	item := q.Items[0]
	assert.Equal(t, "publish", item.Action)
	assert.Equal(t, p.ID, item.Record.PenaltyID)
	assert.Equal(t, "镇环罚〔2026〕21号", item.Record.DecisionNo)
	assert.Equal(t, "未批先建", item.Record.Facts)
	assert.Equal(t, "《环境影响评价法》第三十一条", item.Record.LegalBasis)
	assert.NotEmpty(t, item.Record.PublicationEnds)

	// Another channel's queue, the case itself and its letters stay closed to this operator.
	assert.Equal(t, 404, s.call("GET", "/api/v1/channels/creditchina/queue", op, nil, nil))
	code := s.call("GET", fmt.Sprintf("/api/v1/penalties/%d", p.ID), op, nil, nil)
	assert.Contains(t, []int{403, 404}, code)
	var pen struct {
		Letters []struct {
			ID int64 `json:"id"`
		} `json:"letters"`
	}
	require.Equal(t, 200, s.call("GET", fmt.Sprintf("/api/v1/penalties/%d", p.ID), sthjj, nil, &pen))
	require.NotEmpty(t, pen.Letters)
	code = s.call("GET", fmt.Sprintf("/api/v1/letters/%d/pdf", pen.Letters[0].ID), op, nil, nil)
	assert.Contains(t, []int{403, 404}, code, "the notice (which carries the activation code) is the enterprise's")
	assert.Equal(t, 403, s.call("GET", "/api/v1/channels/gsxt/queue", s.token("scjgj"), nil, nil))

	// The operator's record page shows the same content; a record outside the queue is 404.
	c := s.pageClient("op-gsxt")
	status, html := s.page(c, "/channels/queue")
	require.Equal(t, 200, status)
	assert.Contains(t, html, fmt.Sprintf("/channels/queue/records/%d", p.ID))
	status, html = s.page(c, fmt.Sprintf("/channels/queue/records/%d", p.ID))
	require.Equal(t, 200, status)
	assert.Contains(t, html, "未批先建")
	assert.Contains(t, html, "镇环罚〔2026〕21号")
	status, _ = s.page(c, fmt.Sprintf("/channels/queue/records/%d", p.ID+1000))
	assert.Equal(t, 404, status)
}
