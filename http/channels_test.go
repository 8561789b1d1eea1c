package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/lib/pq"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xinyong/activities"
	"xinyong/domain"
	"xinyong/storage"
)

func TestChannelRegistryValidatesAndHidesSecrets(t *testing.T) {
	e := newTestEnv(t)
	office, admin, dept, ent := e.token("office"), e.token("admin"), e.token("scjgj"), e.token(storage.DemoEnterprises[0].USCC)

	good := map[string]any{"id": "credit-co", "name": "某信用服务公司", "kind": "webhook", "deadline_workdays": 5,
		"endpoint_url": "https://credit.example.com/xinyong/withdrawals", "secret": "0123456789abcdef-shared"}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for kk, vv := range good {
			m[kk] = vv
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	for _, tc := range []struct {
		name  string
		body  map[string]any
		code  string
		field string
	}{
		{"plain http elsewhere", with("endpoint_url", "http://credit.example.com/hook"), "invalid_endpoint", "endpoint_url"},
		{"no endpoint", with("endpoint_url", nil), "invalid_endpoint", "endpoint_url"},
		{"not a url", with("endpoint_url", "https://"), "invalid_endpoint", "endpoint_url"},
		{"no secret", with("secret", nil), "invalid_secret", "secret"},
		{"short secret", with("secret", "short"), "invalid_secret", "secret"},
		{"kind", with("kind", "email"), "invalid_kind", "kind"},
		{"deadline 0", with("deadline_workdays", 0), "invalid_deadline", "deadline_workdays"},
		{"deadline 31", with("deadline_workdays", 31), "invalid_deadline", "deadline_workdays"},
		{"id", with("id", "Credit Co"), "invalid_channel_id", "id"},
		{"name", with("name", ""), "invalid_name", "name"},
		{"department", with("department_id", "nowhere"), "unknown_department", "department_id"},
		{"duplicate name", with("name", "信用中国"), "duplicate_name", "name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			er := requireError(t, e.do("POST", "/api/v1/channels", office, tc.body), 422, tc.code)
			assert.Equal(t, tc.field, er.Error.Details["field"])
		})
	}
	requireError(t, e.do("POST", "/api/v1/channels", office, `{"id": 1}`), 422, "invalid_type")
	requireError(t, e.do("POST", "/api/v1/channels", dept, good), 403, "forbidden")
	requireError(t, e.do("POST", "/api/v1/channels", ent, good), 403, "forbidden")
	cs, err := e.db.ListChannels(context.Background())
	require.NoError(t, err)
	require.Len(t, cs, len(storage.DemoChannels), "a rejected request changes nothing")

	resp := e.do("POST", "/api/v1/channels", office, good)
	require.Equal(t, 201, resp.StatusCode)
	created := decode[map[string]any](t, resp)
	assert.Equal(t, "credit-co", created["id"])
	assert.Equal(t, true, created["has_secret"])
	assert.Equal(t, true, created["active"], "active by default")
	assert.NotContains(t, created, "secret")
	requireError(t, e.do("POST", "/api/v1/channels", admin, good), 409, "channel_exists")

	// Loopback http is allowed for development and tests.
	sim := with("id", "dev-sim")
	sim["name"], sim["endpoint_url"] = "渠道模拟器", "http://127.0.0.1:9000/hook"
	resp = e.do("POST", "/api/v1/channels", admin, sim)
	require.Equal(t, 201, resp.StatusCode)

	// An update without a secret keeps the stored one; the id cannot change.
	resp = e.do("PUT", "/api/v1/channels/credit-co", office, map[string]any{"name": "某信用服务公司（新）", "kind": "webhook",
		"deadline_workdays": 7, "endpoint_url": "https://credit.example.com/v2/hook"})
	require.Equal(t, 200, resp.StatusCode)
	updated := decode[map[string]any](t, resp)
	assert.Equal(t, float64(7), updated["deadline_workdays"])
	assert.Equal(t, true, updated["has_secret"])
	ch, err := e.db.GetChannel(context.Background(), "credit-co")
	require.NoError(t, err)
	assert.Equal(t, "0123456789abcdef-shared", ch.Secret)
	requireError(t, e.do("PUT", "/api/v1/channels/credit-co", office, map[string]any{"id": "other", "name": "x", "kind": "manual",
		"deadline_workdays": 3}), 422, "id_mismatch")
	requireError(t, e.do("PUT", "/api/v1/channels/nowhere", office, map[string]any{"name": "x", "kind": "manual", "deadline_workdays": 3}), 404, "not_found")
	// A department's own site: publishes only that department's records.
	resp = e.do("PUT", "/api/v1/channels/dept-site", office, map[string]any{"name": "部门门户网站", "kind": "manual",
		"deadline_workdays": 3, "department_id": "scjgj"})
	require.Equal(t, 200, resp.StatusCode)
	pubs, err := e.db.PublishingChannels(context.Background(), "sthjj")
	require.NoError(t, err)
	for _, p := range pubs {
		assert.NotEqual(t, "dept-site", p.ID)
	}

	// Everybody lists the channels; only the credit office and admins see delivery settings, nobody the secret.
	list := decode[page[map[string]any]](t, e.do("GET", "/api/v1/channels", ent, nil))
	require.Len(t, list.Items, len(storage.DemoChannels)+2)
	for _, it := range list.Items {
		assert.NotContains(t, it, "endpoint_url")
		assert.NotContains(t, it, "secret")
		assert.NotContains(t, it, "has_secret")
	}
	list = decode[page[map[string]any]](t, e.do("GET", "/api/v1/channels", office, nil))
	for _, it := range list.Items {
		assert.Contains(t, it, "endpoint_url")
		assert.NotContains(t, it, "secret")
	}
	audit, err := e.db.AuditOf(context.Background(), "channel", "credit-co")
	require.NoError(t, err)
	require.Len(t, audit, 2)
	assert.NotContains(t, string(audit[0].Details), "0123456789abcdef", "the secret is never logged")
}

// withdrawalFixture stores a published sthjj penalty of an enterprise and its withdrawal order; thirdparty is
// inactive, so the order does not address it.
func withdrawalFixture(t *testing.T, e *testEnv) (penaltyID, withdrawalID int64) {
	t.Helper()
	ctx := context.Background()
	third := storage.DemoChannels[4]
	third.Active = false
	require.NoError(t, e.db.UpsertChannel(ctx, third))
	ent := storage.DemoEnterprises[1]
	id, err := storage.InsertPenalty(ctx, e.db, storage.Penalty{
		DepartmentID: "sthjj", DecisionNo: "镇环罚〔2026〕15号", USCC: ent.USCC, EnterpriseName: ent.Name,
		DecidedOn: domain.MustParseDate("2026-05-20"), PenaltyTypes: pq.StringArray{"fine"}, FineAmountYuan: "50000",
		Class: "general", RuleSet: "ndrc-2026", Published: true, PublishDue: domain.MustParseDate("2026-05-29"),
		RepairEligibleFrom: domain.MustParseDate("2026-08-21"), PublicationEnds: domain.MustParseDate("2027-05-20"),
		CreatedBy: "sthjj",
	})
	require.NoError(t, err)
	ts, err := e.db.CreatePublications(ctx, id, domain.MustParseDate("2026-05-29"))
	require.NoError(t, err)
	require.Len(t, ts, 4)
	for _, tg := range ts {
		require.NoError(t, e.db.Publish(ctx, id, tg.ChannelID, func(storage.PublicationTarget) (string, error) { return "P", nil }))
	}
	cal, err := e.db.LoadCalendar(ctx)
	require.NoError(t, err)
	wid, created, err := e.db.OrderWithdrawal(ctx, storage.NewWithdrawal{PenaltyID: id, Cause: "repair", CauseRef: "repair-1",
		CauseDecision: "准予信用修复决定", OrderedOn: domain.MustParseDate("2026-06-01")}, cal)
	require.NoError(t, err)
	require.True(t, created)
	again, created, err := e.db.OrderWithdrawal(ctx, storage.NewWithdrawal{PenaltyID: id, Cause: "repair", OrderedOn: domain.MustParseDate("2026-06-02")}, cal)
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, wid, again)
	return id, wid
}

func TestWithdrawalViewIsVisibleOnlyToItsParties(t *testing.T) {
	e := newTestEnv(t)
	_, wid := withdrawalFixture(t, e)
	path := fmt.Sprintf("/api/v1/withdrawals/%d", wid)
	for _, login := range []string{"office", "admin", "sthjj", storage.DemoEnterprises[1].USCC, "op-gsxt", "op-creditchina"} {
		resp := e.do("GET", path, e.token(login), nil)
		require.Equal(t, 200, resp.StatusCode, login)
		w := decode[withdrawalJSON](t, resp)
		assert.Equal(t, "repair", w.Cause)
		assert.Equal(t, "pending", w.Status)
		require.Len(t, w.Channels, 4)
		assert.Equal(t, "creditchina", w.Channels[0].ChannelID)
		assert.Equal(t, "2026-06-04", w.Channels[0].DueOn, "3 working days after 2026-06-01")
		assert.Nil(t, w.Channels[0].ConfirmedAt)
	}
	for _, login := range []string{"scjgj", storage.DemoEnterprises[0].USCC, "op-thirdparty", "agency"} {
		requireError(t, e.do("GET", path, e.token(login), nil), 404, "not_found")
	}
	requireError(t, e.do("GET", "/api/v1/withdrawals/999999", e.token("office"), nil), 404, "not_found")
	requireError(t, e.do("GET", "/api/v1/withdrawals/abc", e.token("office"), nil), 404, "not_found")

	list := decode[page[withdrawalSummaryJSON]](t, e.do("GET", "/api/v1/withdrawals?status=pending", e.token("office"), nil))
	require.Len(t, list.Items, 1)
	assert.Equal(t, 4, list.Items[0].ChannelsTotal)
	list = decode[page[withdrawalSummaryJSON]](t, e.do("GET", "/api/v1/withdrawals", e.token("scjgj"), nil))
	assert.Empty(t, list.Items)
	list = decode[page[withdrawalSummaryJSON]](t, e.do("GET", "/api/v1/withdrawals", e.token("op-gsxt"), nil))
	assert.Len(t, list.Items, 1)
	list = decode[page[withdrawalSummaryJSON]](t, e.do("GET", "/api/v1/withdrawals", e.token("op-thirdparty"), nil))
	assert.Empty(t, list.Items)
	requireError(t, e.do("GET", "/api/v1/withdrawals?status=done", e.token("office"), nil), 422, "invalid_status")
}

func TestWithdrawalConfirmationIsTheChannelOperatorsOnly(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	pid, wid := withdrawalFixture(t, e)
	path := func(ch string) string { return fmt.Sprintf("/api/v1/withdrawals/%d/channels/%s/confirm", wid, ch) }
	body := map[string]any{"reference": "CX-2026-001"}

	// Parties who see the order but are not the channel: 403; everybody else, and operators of other channels: 404.
	requireError(t, e.do("POST", path("gsxt"), e.token("office"), body), 403, "forbidden")
	requireError(t, e.do("POST", path("gsxt"), e.token("sthjj"), body), 403, "forbidden")
	requireError(t, e.do("POST", path("gsxt"), e.token(storage.DemoEnterprises[1].USCC), body), 403, "forbidden")
	requireError(t, e.do("POST", path("gsxt"), e.token(storage.DemoEnterprises[0].USCC), body), 404, "not_found")
	requireError(t, e.do("POST", path("gsxt"), e.token("op-creditchina"), body), 404, "not_found")
	requireError(t, e.do("POST", path("thirdparty"), e.token("op-thirdparty"), body), 404, "not_found")
	requireError(t, e.do("POST", path("nowhere"), e.token("op-gsxt"), body), 404, "not_found")
	// Bad bodies.
	requireError(t, e.do("POST", path("gsxt"), e.token("op-gsxt"), map[string]any{"reference": "  "}), 422, "invalid_reference")
	requireError(t, e.do("POST", path("gsxt"), e.token("op-gsxt"), "{"), 400, "malformed_json")
	// A valid confirmation goes to the order's workflow (none in this test server).
	requireError(t, e.do("POST", path("gsxt"), e.token("op-gsxt"), body), 503, "workflow_unavailable")
	wc, err := e.db.WithdrawalChannel(ctx, wid, "gsxt")
	require.NoError(t, err)
	assert.NotEqualValues(t, domain.ChannelConfirmed, wc.Status, "the handler never writes the order itself")

	// An already confirmed channel answers 200 with the first confirmation.
	_, err = e.db.ConfirmWithdrawalChannel(ctx, wid, "gsxt", "FIRST", "op-gsxt")
	require.NoError(t, err)
	resp := e.do("POST", path("gsxt"), e.token("op-gsxt"), body)
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "true", resp.Header.Get("X-Already-Confirmed"))
	w := decode[withdrawalJSON](t, resp)
	for _, c := range w.Channels {
		if c.ChannelID == "gsxt" {
			assert.Equal(t, "confirmed", c.Status)
			assert.Equal(t, "FIRST", c.Reference)
			assert.NotNil(t, c.ConfirmedAt)
		} else {
			assert.Empty(t, c.Reference, "an operator sees other channels' status, not their references")
		}
	}
	pubs, err := e.db.PublicationsOf(ctx, pid)
	require.NoError(t, err)
	for _, p := range pubs {
		if p.ChannelID == "gsxt" {
			assert.Equal(t, "withdrawn", p.Status)
		} else {
			assert.Equal(t, "published", p.Status)
		}
	}

	// Publication confirmations follow the same rules; a withdrawn record is never confirmed published again.
	ppath := func(ch string) string { return fmt.Sprintf("/api/v1/penalties/%d/publications/%s/confirm", pid, ch) }
	requireError(t, e.do("POST", ppath("gsxt"), e.token("office"), body), 403, "forbidden")
	requireError(t, e.do("POST", ppath("gsxt"), e.token("scjgj"), body), 404, "not_found")
	requireError(t, e.do("POST", ppath("gsxt"), e.token("op-dept"), body), 404, "not_found")
	requireError(t, e.do("POST", ppath("gsxt"), e.token("op-gsxt"), body), 409, "record_withdrawn")
}

func TestChannelAndWithdrawalPagesRender(t *testing.T) {
	e := newTestEnv(t)
	_, wid := withdrawalFixture(t, e)
	office := e.browser()
	office.login("office", storage.DemoPassword)
	resp, html := office.get("/channels")
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, html, "国家企业信用信息公示系统")
	resp, html = office.post("/channels", url.Values{"_csrf": {csrfOf(t, html)}, "_form": {"channel-form"}, "id": {"local-news"}, "name": {"本地新闻网"},
		"kind": {"webhook"}, "deadline_workdays": {"3"}, "endpoint_url": {"http://example.com/x"}, "secret": {"0123456789abcdef"}, "active": {"1"}})
	require.Equal(t, 422, resp.StatusCode)
	assert.Contains(t, html, "接口地址须为 https://")
	assert.Contains(t, html, `aria-invalid="true"`, "the message stands next to the endpoint field")
	resp, html = office.postSeeOther("/channels", url.Values{"_csrf": {csrfOf(t, html)}, "id": {"local-news"}, "name": {"本地新闻网"},
		"kind": {"manual"}, "deadline_workdays": {"3"}, "active": {"1"}})
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, html, "已新增公示渠道：本地新闻网")
	resp, html = office.get("/channels/local-news")
	require.Equal(t, 200, resp.StatusCode)
	resp, html = office.postSeeOther("/channels/local-news", url.Values{"_csrf": {csrfOf(t, html)}, "name": {"本地新闻网"},
		"kind": {"manual"}, "deadline_workdays": {"4"}})
	require.Equal(t, 200, resp.StatusCode)
	ch, err := e.db.GetChannel(context.Background(), "local-news")
	require.NoError(t, err)
	assert.Equal(t, 4, ch.DeadlineWorkdays)
	assert.False(t, ch.Active, "the unchecked box deactivates")
	resp, html = office.get(fmt.Sprintf("/withdrawals/%d", wid))
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, html, "镇江堃元化工有限公司")
	assert.NotContains(t, html, "confirm-form")
	resp, html = office.get("/withdrawals?status=pending")
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, html, "镇环罚〔2026〕15号")
	resp, html = office.get("/")
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, html, "撤下公示跟踪")

	op := e.browser()
	op.login("op-gsxt", storage.DemoPassword)
	resp, html = op.get(fmt.Sprintf("/withdrawals/%d", wid))
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, html, "confirm-form")
	resp, html = op.post(fmt.Sprintf("/withdrawals/%d/channels/gsxt/confirm", wid), url.Values{"_csrf": {csrfOf(t, html)}, "reference": {""}})
	require.Equal(t, 422, resp.StatusCode)
	assert.Contains(t, html, "请填写撤下凭据")
	resp, html = op.get("/")
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, html, "待确认撤下")
	assert.Contains(t, html, "镇环罚〔2026〕15号")
	resp, html = op.get("/channels/queue")
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, html, "withdrawal-queue")
	resp, _ = op.get("/channels")
	require.Equal(t, 403, resp.StatusCode)
	resp, html = op.get("/channels/protocol")
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, html, "X-Xinyong-Signature")

	other := e.browser()
	other.login("op-thirdparty", storage.DemoPassword)
	resp, _ = other.get(fmt.Sprintf("/withdrawals/%d", wid))
	require.Equal(t, 404, resp.StatusCode)

	ent := e.browser()
	ent.login(storage.DemoEnterprises[1].USCC, storage.DemoPassword)
	resp, html = ent.get("/")
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, html, "撤下公示进度")
	assert.Contains(t, html, "仍在公示，正在撤下")
}

func TestChannelSimulatorChecksSignaturesAndFailsOnRequest(t *testing.T) {
	t.Setenv(SimulatorEnv, "1")
	e := newTestEnv(t)
	office := e.token("office")
	const secret = "simulated-channel-secret"
	resp := e.do("PUT", "/api/v1/channels/creditchina", office, map[string]any{"name": "信用中国", "kind": "webhook",
		"deadline_workdays": 3, "endpoint_url": "http://127.0.0.1:8080/dev/channel-simulator/creditchina", "secret": secret})
	require.Equal(t, 200, resp.StatusCode)

	body := `{"event":"withdrawal","withdrawal_id":1}`
	send := func(sig string) *http.Response {
		return e.do("POST", "/dev/channel-simulator/creditchina", "", body,
			activities.HeaderSignature, sig, activities.HeaderIdempotencyKey, "withdrawal-1-creditchina", activities.HeaderEvent, "withdrawal")
	}
	requireError(t, send("sha256=00"), 401, "bad_signature")
	requireError(t, send(activities.Sign("another-secret-entirely", []byte(body))), 401, "bad_signature")
	resp = send(activities.Sign(secret, []byte(body)))
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, decode[map[string]any](t, resp)["reference"], "SIM-creditchina")

	resp = e.do("PUT", "/dev/channel-simulator/creditchina", office, map[string]any{"fail_next": 1})
	require.Equal(t, 200, resp.StatusCode)
	requireError(t, send(activities.Sign(secret, []byte(body))), 503, "simulated_failure")
	require.Equal(t, 200, send(activities.Sign(secret, []byte(body))).StatusCode)

	state := decode[simChannel](t, e.do("GET", "/dev/channel-simulator/creditchina", office, nil))
	assert.Equal(t, 5, state.Calls)
	assert.Equal(t, 2, state.Rejected)
	require.Len(t, state.Applied, 1, "one key, applied once")
	assert.Equal(t, 2, state.Applied["withdrawal-1-creditchina"].Deliveries)
	requireError(t, e.do("GET", "/dev/channel-simulator/creditchina", e.token("op-creditchina"), nil), 403, "forbidden")
}

func TestChannelSimulatorIsOffByDefault(t *testing.T) {
	e := newTestEnv(t)
	resp := e.do("POST", "/dev/channel-simulator/creditchina", "", `{}`)
	assert.Equal(t, 404, resp.StatusCode)
}
