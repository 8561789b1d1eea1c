package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xinyong/domain"
	"xinyong/storage"
	"xinyong/workflows"
)

// trainingRepairAnswer is a repair case as the API answers it, with the certificate it uses and the details of
// each step of its history.
type trainingRepairAnswer struct {
	repairAnswer
	StatusLabel      string `json:"status_label"`
	TrainingLetterID *int64 `json:"training_letter_id"`
	History          []struct {
		Step    string         `json:"step"`
		Actor   string         `json:"actor"`
		At      string         `json:"at"`
		Details map[string]any `json:"details"`
	} `json:"history"`
}

func (r trainingRepairAnswer) steps() []string {
	out := make([]string, 0, len(r.History))
	for _, h := range r.History {
		out = append(out, h.Step)
	}
	return out
}

func (s *stack) trainingRepair(id int64, token string) trainingRepairAnswer {
	s.t.Helper()
	var r trainingRepairAnswer
	require.Equal(s.t, 200, s.call("GET", fmt.Sprintf("/api/v1/repairs/%d", id), token, nil, &r))
	return r
}

// TestRepairContinuesWhenTheTrainingFlowIssuesTheCertificate: training acceptance 3 and repair acceptance 4, driven
// end to end over HTTP with nothing faked. Two enterprises penalized by a Zhenjiang department (local overlay
// js-zj-2026: serious records need a training certificate) apply for repair and both cases wait, visibly. Both attend
// a real session; the agency records A passing and B failing and closes the session. The training workflow issues
// A's certificate and signals A's case, which continues by itself into the department's inbox, referencing the
// certificate; B's case, with a failing score, gets no certificate and keeps waiting.
func TestRepairContinuesWhenTheTrainingFlowIssuesTheCertificate(t *testing.T) {
	began := time.Now()
	s := newStack(t)
	ctx := context.Background()
	require.NoError(t, s.db.UpsertDepartment(ctx, storage.Department{ID: "zjzjj", Name: "镇江市住房和城乡建设局",
		Jurisdiction: "321100", Sector: "general", Contact: "0511-80000009"}))
	// The overlay ships inactive (Order 36 arts. 14-15); Zhenjiang has checked its basis and activated it.
	require.NoError(t, s.db.SetRuleSetActive(ctx, "js-zj-2026", true))
	_, err := s.db.UpsertUser(ctx, storage.NewUser{Login: "zjzjj", DisplayName: "镇江市住房和城乡建设局", Role: domain.RoleDepartment,
		DepartmentID: "zjzjj", Password: storage.DemoPassword})
	require.NoError(t, err)
	a, b := storage.DemoEnterprises[2], storage.DemoEnterprises[3]
	firmA, firmB, dept, office, agency := s.token(a.USCC), s.token(b.USCC), s.token("zjzjj"), s.token("office"), s.token("agency")

	// Two serious records of the department, one per enterprise, and a repair application for each: both wait.
	apply := func(firm, no string, ent storage.Enterprise) trainingRepairAnswer {
		t.Helper()
		var p penaltyAnswer
		require.Equal(t, 201, s.call("POST", "/api/v1/penalties", dept, map[string]any{
			"decision_no": no, "uscc": ent.USCC, "enterprise_name": ent.Name, "decided_on": "2025-06-10",
			"penalty_types": []string{"fine"}, "fine_amount_yuan": 2000000, "class": "serious",
			"facts": "未取得施工许可擅自施工", "legal_basis": "《建筑法》",
		}, &p))
		require.Equal(t, "serious", p.Class)
		var el map[string]any
		require.Equal(t, 200, s.call("GET", fmt.Sprintf("/api/v1/penalties/%d/eligibility", p.ID), firm, nil, &el))
		require.Equal(t, "js-zj-2026", el["rule_set"], "%v", el)
		require.Contains(t, el["missing"], "信用修复培训合格证明")
		var r trainingRepairAnswer
		require.Equal(t, 201, s.call("POST", "/api/v1/repairs", firm, map[string]any{"penalty_id": p.ID, "commitment_accepted": true,
			"statement": "罚款已缴清，已补办施工许可"}, &r))
		return r
	}
	ra := apply(firmA, "镇建罚〔2025〕11号", a)
	rb := apply(firmB, "镇建罚〔2025〕12号", b)
	for _, r := range []trainingRepairAnswer{ra, rb} {
		got := s.trainingRepair(r.ID, office)
		assert.EqualValues(t, domain.RepairWaitingConditions, got.Status, "case %d", r.ID)
		assert.NotEmpty(t, got.StatusLabel)
		assert.Equal(t, "enterprise", got.Holder)
		assert.Equal(t, "js-zj-2026", got.RuleSet)
		assert.Equal(t, []string{workflows.ConditionTrainingCertificate}, got.WaitingFor, "the reason is visible")
		assert.Nil(t, got.TrainingLetterID)
		assert.Contains(t, got.steps(), "repair.waiting_conditions")
		var e repairErr
		require.Equal(t, 409, s.call("POST", fmt.Sprintf("/api/v1/repairs/%d/accept", r.ID), dept, nil, &e), "not in the inbox yet")
	}
	// In flight: the case waits for its condition (the training certificate).
	s.recordHistory(workflows.RepairWorkflowID(ra.ID), "repair_waiting_training.json")
	waitingA, err := s.db.WaitingRepairs(ctx, a.USCC)
	require.NoError(t, err)
	require.Equal(t, []int64{ra.ID}, waitingA)

	// The credit office plans a session run by the agency. A enrolls itself; the department enrolls B, which it
	// penalized. Soon enough to wait for, late enough to enroll first even on a busy machine.
	starts := time.Now().Add(12 * time.Second).Truncate(time.Second)
	tr := s.planTraining(office, starts, 80)
	path := fmt.Sprintf("/api/v1/trainings/%d", tr.ID)
	require.Equal(t, 201, s.call("POST", path+"/enrollments", firmA, nil, nil))
	require.Equal(t, 201, s.call("POST", path+"/enrollments", dept, map[string]any{"usccs": []string{b.USCC}}, nil))
	got := s.training(tr.ID, office)
	assert.Equal(t, "enrolled", got.status(a.USCC))
	assert.Equal(t, "enrolled", got.status(b.USCC))

	// Both attend; the agency records A's pass and B's fail (B's legal representative attended in person).
	attendA := map[string]any{"uscc": a.USCC, "attended": true, "attendee_name": a.LegalRepresentative, "attendee_role": "legal_representative"}
	s.eventually(40*time.Second, "the session starts and takes attendance", func() bool {
		return s.call("POST", path+"/attendance", agency, attendA, nil) == 200
	})
	require.Equal(t, 200, s.call("POST", path+"/attendance", agency, map[string]any{"uscc": b.USCC, "attended": true,
		"attendee_name": "张喆", "attendee_role": "responsible_manager"}, nil))
	var enr struct {
		Passed *bool `json:"passed"`
	}
	require.Equal(t, 200, s.call("POST", path+"/results", agency, map[string]any{"uscc": a.USCC, "score": 88}, &enr))
	require.NotNil(t, enr.Passed)
	assert.True(t, *enr.Passed)
	enr.Passed = nil
	require.Equal(t, 200, s.call("POST", path+"/results", agency, map[string]any{"uscc": b.USCC, "score": 40}, &enr))
	require.NotNil(t, enr.Passed)
	assert.False(t, *enr.Passed)
	// Nothing moves before the session closes.
	assert.EqualValues(t, domain.RepairWaitingConditions, s.trainingRepair(ra.ID, firmA).Status)

	// The agency closes the session: the workflow issues A's certificate, then records the session closed.
	require.Equal(t, 202, s.call("POST", path+"/close", agency, nil, nil))
	var done trainingAnswer
	s.eventually(60*time.Second, "the session is closed with its certificates", func() bool {
		done = s.training(tr.ID, office)
		return done.Status == "closed"
	})
	require.Len(t, done.Certificates, 1, "only the passing enterprise is certified")
	cert := done.Certificates[0]
	require.Equal(t, a.USCC, cert.USCC)
	require.Equal(t, "training_certificate", cert.Kind)

	// A's case continues by itself: out of the waiting state, into the department's inbox, with the certificate.
	var ca trainingRepairAnswer
	s.eventually(30*time.Second, "A's case continues to the department", func() bool {
		ca = s.trainingRepair(ra.ID, firmA)
		return ca.Status == string(domain.RepairPendingAcceptance)
	})
	assert.Equal(t, "department", ca.Holder)
	assert.Empty(t, ca.WaitingFor)
	assert.NotEmpty(t, ca.Deadlines.Acceptance)
	assert.NotEmpty(t, ca.ReceivedOn)
	require.NotNil(t, ca.TrainingLetterID, "the case references the certificate")
	assert.Equal(t, cert.ID, *ca.TrainingLetterID)
	steps := ca.steps()
	assert.Contains(t, steps, "repair.training_certificate")
	assert.Contains(t, steps, "repair.conditions_met")
	for _, h := range ca.History {
		if h.Step == "repair.training_certificate" {
			assert.EqualValues(t, cert.ID, h.Details["letter_id"], "the history names the certificate")
			assert.EqualValues(t, tr.ID, h.Details["training_id"], "and the session")
		}
	}
	waitingA, err = s.db.WaitingRepairs(ctx, a.USCC)
	require.NoError(t, err)
	assert.Empty(t, waitingA)
	// The certificate is A's, genuine, and names the session.
	pdf, code := s.send("GET", cert.URL, firmA, "", nil)
	require.Equal(t, 200, code)
	text := pdfText(t, pdf)
	for _, want := range []string{a.Name, a.USCC, "信用修复专题培训（第三期）", cert.VerifyCode} {
		assert.Contains(t, text, want)
	}
	_, code = s.send("GET", "/verify/"+cert.VerifyCode, "", "", nil)
	assert.Equal(t, 200, code)
	// The department deciding the case reads the certificate it relies on, and so does the agency that ran the
	// session; another department does not.
	_, code = s.send("GET", cert.URL, dept, "", nil)
	assert.Equal(t, 200, code, "the handling department reads the certificate")
	_, code = s.send("GET", cert.URL, agency, "", nil)
	assert.Equal(t, 200, code, "the session's agency reads the certificate")
	_, code = s.send("GET", cert.URL, s.token("sthjj"), "", nil)
	assert.Equal(t, 404, code, "another department does not")
	_, code = s.send("GET", cert.URL, firmB, "", nil)
	assert.Equal(t, 404, code, "another enterprise cannot read A's certificate")

	// The department sees it in its inbox, with its due date, and accepts it.
	var tasks struct {
		Items []struct {
			CaseKind string  `json:"case_kind"`
			CaseID   string  `json:"case_id"`
			Step     string  `json:"step"`
			DueOn    *string `json:"due_on"`
		} `json:"items"`
	}
	require.Equal(t, 200, s.call("GET", "/api/v1/tasks", dept, nil, &tasks))
	inbox := false
	for _, tk := range tasks.Items {
		if tk.CaseKind == "repair" && tk.CaseID == fmt.Sprint(ra.ID) && tk.Step == "acceptance" {
			inbox = true
			require.NotNil(t, tk.DueOn)
			assert.Equal(t, ca.Deadlines.Acceptance, *tk.DueOn)
		}
	}
	assert.True(t, inbox, "the acceptance task is in the department's inbox")
	var accepted trainingRepairAnswer
	require.Equal(t, 200, s.call("POST", fmt.Sprintf("/api/v1/repairs/%d/accept", ra.ID), dept, nil, &accepted))
	assert.EqualValues(t, domain.RepairVerifying, accepted.Status)

	// B's failing score unblocked nothing: its case still waits, with its reason, and no certificate. Every signal
	// of the session was sent before it read "closed", and A's case has already moved: B's would have too.
	cb := s.trainingRepair(rb.ID, firmB)
	assert.EqualValues(t, domain.RepairWaitingConditions, cb.Status)
	assert.Equal(t, "enterprise", cb.Holder)
	assert.Equal(t, []string{workflows.ConditionTrainingCertificate}, cb.WaitingFor)
	assert.Nil(t, cb.TrainingLetterID)
	assert.NotContains(t, cb.steps(), "repair.training_certificate")
	assert.NotContains(t, cb.steps(), "repair.conditions_met")
	waitingB, err := s.db.WaitingRepairs(ctx, b.USCC)
	require.NoError(t, err)
	assert.Equal(t, []int64{rb.ID}, waitingB)
	var e repairErr
	require.Equal(t, 409, s.call("POST", fmt.Sprintf("/api/v1/repairs/%d/accept", rb.ID), dept, nil, &e), "still not in the inbox")
	ns, err := s.db.NotificationsFor(ctx, b.USCC, "", 50)
	require.NoError(t, err)
	var kinds []string
	for _, n := range ns {
		kinds = append(kinds, n.Kind)
	}
	assert.Contains(t, kinds, "training_not_certified", "B is told why it got no certificate")

	t.Logf("whole flow took %s", time.Since(began).Round(time.Millisecond))
}
