package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xinyong/activities"
	"xinyong/storage"
	"xinyong/workflows"
)

const inboundSecret = "creditchina-inbound-secret-0001"

// pushBody is a signed push's body with pushed_at set to at.
func pushBody(t *testing.T, at time.Time, fields map[string]any) []byte {
	t.Helper()
	m := map[string]any{"pushed_at": at.Format(time.RFC3339)}
	for k, v := range fields {
		m[k] = v
	}
	raw, err := json.Marshal(m)
	require.NoError(t, err)
	return raw
}

// push sends body to the inbound endpoint signed with secret ("" sends no signature).
func (e *testEnv) push(channel, kind, key, secret string, body []byte) *http.Response {
	e.t.Helper()
	h := []string{}
	if key != "" {
		h = append(h, activities.HeaderIdempotencyKey, key)
	}
	if secret != "" {
		h = append(h, activities.HeaderSignature, activities.Sign(secret, body))
	}
	return e.do("POST", "/api/v1/inbound/"+channel+"/"+kind, "", body, h...)
}

// TestInboundPushSignaturesAndReplays: a push is created once, only with a good signature, a fresh time and a
// known record; every refusal answers a clear 4xx and stores nothing.
func TestInboundPushSignaturesAndReplays(t *testing.T) {
	e, ft := newRepairTestEnv(t)
	ctx := context.Background()
	_, err := e.db.ExecContext(ctx, `UPDATE channels SET kind = 'webhook', endpoint_url = 'https://push.example.org/hook', secret = $1
		WHERE id = 'creditchina'`, inboundSecret)
	require.NoError(t, err)
	ent := storage.DemoEnterprises[1]
	pid := e.registerFine("sthjj", "镇环罚〔2026〕15号", ent, "2026-05-20")
	app := map[string]any{"uscc": ent.USCC, "decision_no": "镇环罚〔2026〕15号", "commitment_accepted": true,
		"statement": "罚款已缴清，整改已完成。", "reference": "XY2026120400017"}
	now := time.Now()
	good := pushBody(t, now, app)
	nothingStored := func(what string) {
		t.Helper()
		assert.Zero(t, e.count(`SELECT count(*) FROM repairs WHERE penalty_id = $1`, pid), what)
		assert.Zero(t, e.count(`SELECT count(*) FROM inbound_pushes`), what)
		for _, id := range ft.startedIDs() {
			assert.False(t, strings.HasPrefix(id, "repair-") || strings.HasPrefix(id, "inbound-"), "%s: %s started", what, id)
		}
	}

	// Tampered: signed, then changed.
	tampered := pushBody(t, now, map[string]any{"uscc": ent.USCC, "decision_no": "镇环罚〔2026〕15号",
		"commitment_accepted": true, "statement": "篡改后的说明", "reference": "XY2026120400017"})
	resp := e.do("POST", "/api/v1/inbound/creditchina/repairs", "", tampered,
		activities.HeaderIdempotencyKey, "k1", activities.HeaderSignature, activities.Sign(inboundSecret, good))
	requireError(t, resp, 401, "invalid_signature")
	requireError(t, e.push("creditchina", "repairs", "k1", "another-secret", good), 401, "invalid_signature")
	requireError(t, e.push("creditchina", "repairs", "k1", "", good), 401, "invalid_signature")
	requireError(t, e.push("nosuchchannel", "repairs", "k1", inboundSecret, good), 401, "invalid_signature")
	// A manual channel without a secret cannot push at all.
	requireError(t, e.push("gsxt", "repairs", "k1", "", good), 401, "invalid_signature")
	// Replay of a captured push after the window, and a push from a clock far ahead.
	requireError(t, e.push("creditchina", "repairs", "k1", inboundSecret, pushBody(t, now.Add(-10*time.Minute), app)), 401, "stale_push")
	requireError(t, e.push("creditchina", "repairs", "k1", inboundSecret, pushBody(t, now.Add(10*time.Minute), app)), 401, "stale_push")
	requireError(t, e.push("creditchina", "repairs", "k1", inboundSecret, pushBody(t, now, map[string]any{"pushed_at": "2026-12-04 10:00"})), 422, "invalid_pushed_at")
	requireError(t, e.push("creditchina", "repairs", "", inboundSecret, good), 400, "idempotency_key_required")
	// A record the platform does not know.
	unknown := map[string]any{"uscc": ent.USCC, "decision_no": "镇环罚〔2026〕404号", "commitment_accepted": true, "statement": "x"}
	requireError(t, e.push("creditchina", "repairs", "k1", inboundSecret, pushBody(t, now, unknown)), 404, "unknown_record")
	noCommitment := map[string]any{"uscc": ent.USCC, "decision_no": "镇环罚〔2026〕15号", "statement": "x"}
	requireError(t, e.push("creditchina", "repairs", "k1", inboundSecret, pushBody(t, now, noCommitment)), 422, "commitment_required")
	nothingStored("after refusals")

	// A good push creates the case and starts the workflow that sends its result back.
	resp = e.push("creditchina", "repairs", "k1", inboundSecret, good)
	require.Equal(t, 201, resp.StatusCode)
	first := decode[inboundCaseJSON](t, resp)
	assert.Equal(t, "repair", first.Case.Kind)
	assert.NotZero(t, first.Case.ID)
	assert.Equal(t, pid, first.Record.PenaltyID)
	assert.Equal(t, "XY2026120400017", first.Reference)
	assert.Equal(t, "repair_result", first.ResultEvent)
	r, err := e.db.GetRepair(ctx, first.Case.ID)
	require.NoError(t, err)
	assert.Equal(t, "channel:creditchina", r.ApplicantLogin)
	assert.Contains(t, ft.startedIDs(), workflows.InboundResultWorkflowID("repair", first.Case.ID))

	// The same push again, re-signed with a fresh time: the same case, nothing created twice.
	resp = e.push("creditchina", "repairs", "k1", inboundSecret, pushBody(t, time.Now(), app))
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "true", resp.Header.Get("Idempotent-Replayed"))
	again := decode[inboundCaseJSON](t, resp)
	assert.Equal(t, first.Case.ID, again.Case.ID)
	assert.Equal(t, 1, e.count(`SELECT count(*) FROM repairs WHERE penalty_id = $1`, pid))
	assert.Equal(t, 1, e.count(`SELECT count(*) FROM inbound_pushes`))

	// The key used for another application; the same application under another key (a case is open already).
	changed := map[string]any{"uscc": ent.USCC, "decision_no": "镇环罚〔2026〕15号", "commitment_accepted": true,
		"statement": "另一份说明", "reference": "XY2026120400017"}
	requireError(t, e.push("creditchina", "repairs", "k1", inboundSecret, pushBody(t, time.Now(), changed)), 422, "idempotency_key_reused")
	requireError(t, e.push("creditchina", "objections", "k1", inboundSecret, pushBody(t, time.Now(), app)), 422, "idempotency_key_reused")
	resp = e.push("creditchina", "repairs", "k2", inboundSecret, pushBody(t, time.Now(), app))
	assert.Equal(t, 409, resp.StatusCode)
	assert.Equal(t, 1, e.count(`SELECT count(*) FROM repairs WHERE penalty_id = $1`, pid))
	assert.Equal(t, 1, e.count(`SELECT count(*) FROM inbound_pushes`), "a refused push leaves no row")

	// An objection pushed for another record of the enterprise.
	other := e.registerFine("sthjj", "镇环罚〔2026〕16号", ent, "2026-05-20")
	objection := map[string]any{"uscc": ent.USCC, "decision_no": "镇环罚〔2026〕16号", "commitment_accepted": true,
		"grounds": "wrong_content", "statement": "罚款金额登记有误。"}
	resp = e.push("creditchina", "objections", "o1", inboundSecret, pushBody(t, time.Now(), objection))
	require.Equal(t, 201, resp.StatusCode)
	obj := decode[inboundCaseJSON](t, resp)
	assert.Equal(t, "objection", obj.Case.Kind)
	assert.Equal(t, other, obj.Record.PenaltyID)
	o, err := e.db.GetObjection(ctx, obj.Case.ID)
	require.NoError(t, err)
	assert.Equal(t, "channel:creditchina", o.FiledBy)
	assert.True(t, slices.Contains(ft.startedIDs(), workflows.InboundResultWorkflowID("objection", obj.Case.ID)))
	bad := map[string]any{"uscc": ent.USCC, "decision_no": "镇环罚〔2026〕16号", "commitment_accepted": true,
		"grounds": "against_refusal", "statement": "x"}
	requireError(t, e.push("creditchina", "objections", "o2", inboundSecret, pushBody(t, time.Now(), bad)), 422, "invalid_grounds")
}
