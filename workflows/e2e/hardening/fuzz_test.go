package hardening

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"xinyong/consistency"
	"xinyong/domain"
	"xinyong/storage"
)

// Fuzz targets, one per family of JSON endpoints: random and adversarial values go through the real handlers of a
// real stack (PostgreSQL, Temporal, worker). Whatever comes in, no answer is a 5xx, the process does not crash,
// and afterwards every case row agrees with its workflow. Plain `go test` runs each target's seed corpus, which
// includes a batch of generated inputs; docs/fuzzing.md tells how to fuzz for longer.

// fuzzEndpoint is one request of a family: a JSON template whose fields the fuzzer replaces.
type fuzzEndpoint struct {
	method, path, login string
	template            map[string]any
}

// fuzzEnv is a stack with the cases the endpoints act on.
type fuzzEnv struct {
	s         *stack
	tokens    map[string]string
	endpoints []fuzzEndpoint
}

// adversarial are values known to break naive handlers: control characters, invalid UTF-8, bidirectional
// overrides, huge and odd numbers, deep nesting, long strings, JSON that is not what the field expects.
var adversarial = []string{
	"", " ", "\x00", "a\x00b", "\x07", "\x1b[31m", "\r\n", "\t", "\u202e隐藏", "\ufeff", "\uffff", "\xff\xfe", "\xc3\x28",
	`"\ud800"`, "0", "-1", "1e999", "9223372036854775808", "-9223372036854775809", "3.14159", "NaN", "null", "true",
	"[]", "{}", `{"a":`, `[1,2,3]`, `"\u0000"`, strings.Repeat("[", 5000) + strings.Repeat("]", 5000),
	strings.Repeat("甲", 30000), strings.Repeat("a", 1<<20), "2026-02-30", "9999-12-31", "0000-00-00",
	"91321100MA1MXY2K09", "../../etc/passwd", "<script>alert(1)</script>", "'; DROP TABLE penalties; --",
	"http://127.0.0.1:7243/api/v1/namespaces", "%00", "\u2028", "😀", "\U0010FFFF",
}

// generated is a deterministic batch of random values mixing the adversarial pieces with random runes.
func generated(seed uint64, n int) []string {
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	out := make([]string, n)
	for i := range out {
		var b strings.Builder
		for k := r.IntN(4); k >= 0; k-- {
			switch r.IntN(4) {
			case 0:
				v := adversarial[r.IntN(len(adversarial))]
				b.WriteString(v[:min(200, len(v))])
			case 1:
				b.WriteRune(rune(r.IntN(0x20)))
			case 2:
				b.WriteRune(rune(0x4e00 + r.IntN(0x5000)))
			default:
				b.WriteByte(byte(r.IntN(256)))
			}
		}
		out[i] = b.String()
	}
	return out
}

// seedFuzz adds the adversarial values and a generated batch to a target's corpus.
func seedFuzz(f *testing.F, family uint64, endpoints int) {
	for i, v := range adversarial {
		f.Add(uint8(i%endpoints), uint8(i), v, i%5 == 0)
	}
	for i, v := range generated(family, 24) {
		f.Add(uint8(i%endpoints), uint8(i*7), v, i%6 == 0)
	}
}

func newFuzzEnv(f *testing.F, logins ...string) *fuzzEnv {
	s := newStack(f)
	fe := &fuzzEnv{s: s, tokens: map[string]string{}}
	for _, l := range logins {
		fe.tokens[l] = s.token(l)
	}
	f.Cleanup(func() {
		ds, err := consistency.Check(context.Background(), s.db, s.temporal, consistency.Options{Settle: 20 * time.Second})
		if err != nil {
			f.Errorf("consistency check: %v", err)
		}
		for _, d := range ds {
			f.Errorf("after fuzzing, a case disagrees with its workflow: %s", d)
		}
	})
	return fe
}

// body builds a request body: the raw value itself, or the template with one field set to the value (as JSON
// when the value is JSON, else as a string).
func (ep fuzzEndpoint) body(field uint8, value string, raw bool) []byte {
	if raw || len(ep.template) == 0 {
		return []byte(value)
	}
	keys := make([]string, 0, len(ep.template))
	for k := range ep.template {
		keys = append(keys, k)
	}
	// Map order is random: sort for a reproducible choice.
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	m := make(map[string]json.RawMessage, len(ep.template))
	for k, v := range ep.template {
		b, _ := json.Marshal(v)
		m[k] = b
	}
	k := keys[int(field)%len(keys)]
	if json.Valid([]byte(value)) {
		m[k] = json.RawMessage(value)
	} else {
		b, _ := json.Marshal(value) // invalid UTF-8 becomes U+FFFD here; raw bodies carry it as it is
		m[k] = b
	}
	out, _ := json.Marshal(m)
	return out
}

// hit sends one fuzzed request and fails on a 5xx.
func (fe *fuzzEnv) hit(t *testing.T, which, field uint8, value string, raw bool) {
	ep := fe.endpoints[int(which)%len(fe.endpoints)]
	path := strings.ReplaceAll(ep.path, "{v}", url.PathEscape(truncate(value, 100)))
	req, err := http.NewRequest(ep.method, fe.s.base+path, strings.NewReader(string(ep.body(field, value, raw))))
	if err != nil {
		return // a path the client itself refuses
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+fe.tokens[ep.login])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: no answer (server down?): %v", ep.method, path, err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 2000))
	if resp.StatusCode >= 500 {
		t.Fatalf("%s %s with %q answered %d: %s", ep.method, path, truncate(value, 200), resp.StatusCode, answer)
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// registerPenalty registers a fine of a demo enterprise by a department and answers its id.
func (s *stack) registerPenalty(dept string, uscc, name, no string) int64 {
	s.t.Helper()
	var p struct {
		ID int64 `json:"id"`
	}
	decided := domain.Today().AddDays(-1)
	if code := s.call("POST", "/api/v1/penalties", s.token(dept), map[string]any{
		"decision_no": no, "uscc": uscc, "enterprise_name": name, "decided_on": decided.String(),
		"penalty_types": []string{"fine"}, "fine_amount_yuan": "1000"}, &p); code != 201 {
		s.t.Fatalf("register penalty: %d", code)
	}
	return p.ID
}

func FuzzPenalties(f *testing.F) {
	a := storage.DemoEnterprises[1]
	fe := newFuzzEnv(f, "scjgj", "office")
	id := fe.s.registerPenalty("scjgj", a.USCC, a.Name, "镇市监罚〔2026〕801号")
	decided := domain.Today().AddDays(-1).String()
	fe.endpoints = []fuzzEndpoint{
		{"POST", "/api/v1/penalties", "scjgj", map[string]any{"decision_no": "镇市监罚〔2026〕802号", "uscc": a.USCC,
			"enterprise_name": a.Name, "decided_on": decided, "penalty_types": []string{"fine"}, "fine_amount_yuan": "1000",
			"facts": "事实", "legal_basis": "依据", "class": "general", "duration_months": 0}},
		{"POST", fmt.Sprintf("/api/v1/penalties/%d/delivery", id), "scjgj", map[string]any{"method": "post",
			"delivered_on": decided, "signed_by": "王五", "witness": "", "electronic_consent": false}},
		{"POST", fmt.Sprintf("/api/v1/penalties/%d/revocation", id), "scjgj", map[string]any{"reason": "复议撤销",
			"decided_on": decided}},
		{"GET", "/api/v1/penalties?uscc={v}&q={v}", "office", nil},
		{"POST", "/api/v1/publication-periods", "office", map[string]any{"penalty_types": []string{"fine"},
			"fine_amount_yuan": "1000", "decided_on": decided, "class": "general"}},
	}
	seedFuzz(f, 1, len(fe.endpoints))
	f.Fuzz(fe.hit)
}

func FuzzTrainings(f *testing.F) {
	a, b := storage.DemoEnterprises[1], storage.DemoEnterprises[2]
	fe := newFuzzEnv(f, "office", "agency", "scjgj", a.USCC, b.USCC)
	tr := fe.s.planTraining(fe.tokens["office"], time.Now().Add(48*time.Hour), 3)
	base := fmt.Sprintf("/api/v1/trainings/%d", tr.ID)
	starts := time.Now().Add(72 * time.Hour)
	fe.endpoints = []fuzzEndpoint{
		{"POST", "/api/v1/trainings", "office", map[string]any{"title": "培训", "starts_at": starts.Format(time.RFC3339),
			"ends_at": starts.Add(3 * time.Hour).Format(time.RFC3339), "venue": "会场", "capacity": 10, "class_hours": 3,
			"agency": "agency", "pass_score": 60}},
		{"POST", base + "/enrollments", a.USCC, nil},
		{"POST", base + "/enrollments", "scjgj", map[string]any{"usccs": []string{b.USCC}}},
		{"DELETE", base + "/enrollments/{v}", a.USCC, nil},
		{"POST", base + "/attendance", "agency", map[string]any{"uscc": a.USCC, "attended": true, "attendee_name": "王堃",
			"attendee_role": "legal_representative"}},
		{"POST", base + "/results", "agency", map[string]any{"uscc": a.USCC, "score": 80}},
		{"POST", base + "/rectifications", "scjgj", map[string]any{"uscc": a.USCC, "due_on": "2026-12-31", "requirements": "整改"}},
		{"POST", base + "/rating", "office", map[string]any{"rating": 5, "comment": "好"}},
	}
	seedFuzz(f, 2, len(fe.endpoints))
	f.Fuzz(fe.hit)
}

func FuzzObjections(f *testing.F) {
	a := storage.DemoEnterprises[1]
	fe := newFuzzEnv(f, "scjgj", "office", a.USCC)
	id := fe.s.registerPenalty("scjgj", a.USCC, a.Name, "镇市监罚〔2026〕803号")
	var o struct {
		ID int64 `json:"id"`
	}
	if code := fe.s.call("POST", "/api/v1/objections", fe.tokens[a.USCC], map[string]any{"penalty_id": id,
		"grounds": domain.GroundsWrongContent, "statement": "金额有误", "commitment_accepted": true}, &o); code != 201 {
		f.Fatalf("file objection: %d", code)
	}
	base := fmt.Sprintf("/api/v1/objections/%d", o.ID)
	fe.endpoints = []fuzzEndpoint{
		{"POST", "/api/v1/objections", a.USCC, map[string]any{"penalty_id": id, "grounds": domain.GroundsNotMine,
			"statement": "说明", "commitment_accepted": true, "attachment_ids": []int64{}, "repair_id": 0}},
		{"POST", base + "/resolve", "scjgj", map[string]any{"outcome": "corrected", "reason": "核查属实",
			"corrections": map[string]any{"fine_amount_yuan": "500"}}},
		{"POST", base + "/extend", "scjgj", map[string]any{"reason": "需要现场核查"}},
		{"POST", base + "/channels/{v}/confirm", "office", map[string]any{"reference": "编号1"}},
		{"GET", "/api/v1/objections?status={v}", "office", nil},
	}
	seedFuzz(f, 3, len(fe.endpoints))
	f.Fuzz(fe.hit)
}

func FuzzRepairs(f *testing.F) {
	a := storage.DemoEnterprises[1]
	fe := newFuzzEnv(f, "scjgj", "office", a.USCC)
	id := fe.s.registerPenalty("scjgj", a.USCC, a.Name, "镇市监罚〔2026〕804号")
	fe.endpoints = []fuzzEndpoint{
		{"POST", "/api/v1/repairs", a.USCC, map[string]any{"penalty_id": id, "commitment_accepted": true, "statement": "已整改",
			"attachment_ids": []int64{}, "credit_report_attachment_id": 0}},
		{"POST", "/api/v1/repairs/1/supplement", a.USCC, map[string]any{"statement": "补正", "attachment_ids": []int64{}}},
		{"POST", "/api/v1/repairs/1/decide", "scjgj", map[string]any{"approved": true, "reason": "符合条件"}},
		{"POST", "/api/v1/repairs/1/request-supplement", "scjgj", map[string]any{"items": []string{"营业执照"}, "due_on": "2026-12-31"}},
		{"POST", "/api/v1/repairs/{v}/withdraw", a.USCC, map[string]any{"reason": "撤回"}},
		{"GET", "/api/v1/repairs?status={v}", "office", nil},
	}
	seedFuzz(f, 4, len(fe.endpoints))
	f.Fuzz(fe.hit)
}

func FuzzChannelsAndWithdrawals(f *testing.F) {
	fe := newFuzzEnv(f, "admin", "office", "op-gsxt")
	fe.endpoints = []fuzzEndpoint{
		{"POST", "/api/v1/channels", "admin", map[string]any{"id": "fuzz-ch", "name": "渠道", "kind": "manual",
			"deadline_workdays": 3, "active": true, "endpoint_url": "", "department_id": nil}},
		{"PUT", "/api/v1/channels/{v}", "admin", map[string]any{"name": "渠道", "kind": "webhook", "deadline_workdays": 3,
			"endpoint_url": "https://example.org/hook", "secret": "s"}},
		{"POST", "/api/v1/withdrawals/1/channels/{v}/confirm", "op-gsxt", map[string]any{"reference": "撤下编号"}},
		{"POST", "/api/v1/penalties/1/publications/{v}/confirm", "op-gsxt", map[string]any{"reference": "公示编号"}},
		{"GET", "/api/v1/withdrawals?status={v}", "office", nil},
	}
	seedFuzz(f, 5, len(fe.endpoints))
	f.Fuzz(fe.hit)
}

func FuzzAuth(f *testing.F) {
	fe := newFuzzEnv(f, "office")
	fe.endpoints = []fuzzEndpoint{
		{"POST", "/api/v1/tokens", "office", map[string]any{"name": "脚本"}},
		{"DELETE", "/api/v1/tokens/{v}", "office", nil},
		{"GET", "/api/v1/enterprises?q={v}", "office", nil},
		{"GET", "/api/v1/audit?case_kind={v}&case_id={v}", "office", nil},
	}
	seedFuzz(f, 6, len(fe.endpoints))
	f.Fuzz(func(t *testing.T, which, field uint8, value string, raw bool) {
		fe.hit(t, which, field, value, raw)
		// The login form, with the value as the login name or the password.
		form := url.Values{"login": {value}, "password": {"demo"}}
		if raw {
			form = url.Values{"login": {"office"}, "password": {value}}
		}
		resp, err := http.PostForm(fe.s.base+"/login", form)
		if err != nil {
			t.Fatalf("login: no answer: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("login with %q answered %d", truncate(value, 200), resp.StatusCode)
		}
	})
}
