package activities

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xinyong/domain"
	"xinyong/storage"
)

// repair stores a repair application of the fixture's enterprise for a penalty, as its handler does, in plain SQL
// so that the test does not depend on how cases are created.
func (f *fixture) repair(penaltyID int64) int64 {
	f.t.Helper()
	var id int64
	require.NoError(f.t, f.db.GetContext(f.ctx, &id, `INSERT INTO repairs (penalty_id, uscc, department_id, rule_set, applied_on,
			applicant_login, commitment_accepted_at)
		VALUES ($1, $2, 'sthjj', 'ndrc-2026', '2026-09-01', $3, now()) RETURNING id`, penaltyID, f.ent.USCC, f.ent.USCC))
	return id
}

// objection stores an objection of the fixture's enterprise to a penalty in plain SQL.
func (f *fixture) objection(penaltyID int64) int64 {
	f.t.Helper()
	var id int64
	require.NoError(f.t, f.db.GetContext(f.ctx, &id, `INSERT INTO objections (penalty_id, uscc, department_id, grounds, rule_set,
			filed_on, filed_by, filed_by_role, commitment_accepted_at)
		VALUES ($1, $2, 'sthjj', 'wrong_content', 'ndrc-2026', '2026-06-01', $3, 'enterprise', now()) RETURNING id`,
		penaltyID, f.ent.USCC, f.ent.USCC))
	return id
}

func TestRepairStepAndFraudBanTwiceRecordOnce(t *testing.T) {
	f := newFixture(t)
	pid := f.penalty("镇环罚〔2026〕15号")
	rid := f.repair(pid)

	step := RepairStepInput{RepairID: rid, Seq: 1, Action: "repair.accepted", Actor: "sthjj", Role: "department",
		Details: map[string]any{"in_time": true}}
	step.Progress.Status, step.Progress.Holder = "verifying", "department"
	f.twice(func() error { return f.acts.RecordRepairStep(f.ctx, step) },
		"audit entries", `SELECT count(*) FROM audit_log WHERE case_kind = 'repair' AND case_id = $1::text AND action = 'repair.accepted'`, rid)
	assert.Equal(t, 1, f.count(`SELECT count(*) FROM repairs WHERE id = $1 AND seq = 1 AND status = 'verifying'`, rid))

	// A later step, then the first one again (a retry that arrives late): the row keeps the later step.
	later := RepairStepInput{RepairID: rid, Seq: 2, Action: "repair.refused", Actor: "sthjj", Role: "department"}
	later.Progress.Status = "refused"
	require.NoError(t, f.acts.RecordRepairStep(f.ctx, later))
	require.NoError(t, f.acts.RecordRepairStep(f.ctx, step))
	assert.Equal(t, 1, f.count(`SELECT count(*) FROM repairs WHERE id = $1 AND seq = 2 AND status = 'refused'`, rid))

	ban := FraudBanInput{RepairID: rid, PenaltyID: pid, USCC: f.ent.USCC, Reason: "提供虚假材料",
		RevokedOn: domain.MustParseDate("2026-10-01"), BannedUntil: domain.MustParseDate("2027-10-01"), Actor: "office"}
	f.twice(func() error { return f.acts.RecordFraudBan(f.ctx, ban) },
		"fraud bans", `SELECT count(*) FROM fraud_bans WHERE repair_id = $1`, rid)
}

func TestObjectionStepAndChannelsTwiceActOnce(t *testing.T) {
	f := newFixture(t)
	pid := f.penalty("镇环罚〔2026〕15号")
	pubs, err := f.acts.CreatePublications(f.ctx, CreatePublicationsInput{PenaltyID: pid, DueOn: domain.MustParseDate("2026-05-29")})
	require.NoError(t, err)
	for _, c := range pubs.Channels {
		_, err := f.acts.ConfirmPublication(f.ctx, ConfirmPublicationInput{PenaltyID: pid, ChannelID: c.ChannelID, Reference: "P", By: "op"})
		require.NoError(t, err)
	}
	oid := f.objection(pid)

	step := ObjectionStepInput{ObjectionID: oid, Seq: 1, Action: "objection.received", Actor: f.ent.USCC, Role: "enterprise"}
	step.Progress.Status = "verifying"
	f.twice(func() error { return f.acts.RecordObjectionStep(f.ctx, step) },
		"audit entries", `SELECT count(*) FROM audit_log WHERE case_kind = 'objection' AND case_id = $1::text AND action = 'objection.received'`, oid)

	ch := pubs.Channels[0].ChannelID
	open := OpenObjectionChannelsInput{ObjectionID: oid, Action: "mark", Channels: nil}
	for _, c := range pubs.Channels {
		open.Channels = append(open.Channels, ObjectionChannelDue{ChannelID: c.ChannelID, DueOn: domain.MustParseDate("2026-06-04")})
	}
	var rows [][]ObjectionChannelRow
	f.twice(func() error {
		r, err := f.acts.OpenObjectionChannels(f.ctx, open)
		rows = append(rows, r)
		return err
	}, "mark requests to the first channel", `SELECT count(*) FROM objection_channels WHERE objection_id = $1 AND channel_id = $2 AND action = 'mark'`, oid, ch)
	assert.Equal(t, rows[0], rows[1])
	assert.Equal(t, len(pubs.Channels), f.count(`SELECT count(*) FROM objection_channels WHERE objection_id = $1`, oid))

	confirm := ConfirmObjectionChannelInput{ObjectionID: oid, ChannelID: ch, Action: "mark", Reference: "M-1", By: "op-" + ch}
	var confs []ObjectionChannelConfirmation
	f.twice(func() error {
		c, err := f.acts.ConfirmObjectionChannel(f.ctx, confirm)
		confs = append(confs, c)
		return err
	}, "mark confirmations", `SELECT count(*) FROM audit_log WHERE case_kind = 'objection' AND case_id = $1::text
		AND action = 'objection.channel_mark_confirmed'`, oid)
	assert.Equal(t, confs[0], confs[1], "the first confirmation stands")
	assert.Equal(t, 1, f.count(`SELECT count(*) FROM publications WHERE penalty_id = $1 AND channel_id = $2 AND marked_objection`, pid, ch))
}

// training stores a planned session in plain SQL, run by a demo agency.
func (f *fixture) training() int64 {
	f.t.Helper()
	var id int64
	require.NoError(f.t, f.db.GetContext(f.ctx, &id, `INSERT INTO trainings (title, starts_at, ends_at, venue, capacity, class_hours,
			agency_login, agency_name, pass_score, organizer, created_by)
		SELECT '信用修复专题培训', '2026-06-10 09:00+08', '2026-06-10 13:00+08', '市民中心', 30, 4, login, '镇江信用服务有限公司', 60,
			'市信用办', 'office'
		FROM users WHERE role = 'agency' ORDER BY login LIMIT 1 RETURNING id`))
	return id
}

func TestTrainingPlanCertificateAndNoticesTwiceActOnce(t *testing.T) {
	f := newFixture(t)
	tid := f.training()

	// The plan letter: issued once, recorded once, and the session opened once.
	var plan LetterRef
	f.twice(func() (err error) {
		plan, err = f.acts.IssueLetter(f.ctx, IssueLetterInput{CaseKind: "training", CaseID: "t1", Version: 1,
			Content: repairNoticeContent(f)})
		return err
	}, "plan letters", `SELECT count(*) FROM letters WHERE case_kind = 'training' AND case_id = 't1'`)
	f.twice(func() error {
		return f.acts.RecordTrainingPlan(f.ctx, TrainingPlanInput{TrainingID: tid, LetterID: plan.ID})
	},
		"plan entries", `SELECT count(*) FROM audit_log WHERE case_kind = 'training' AND case_id = $1::text AND action = 'training.plan_issued'`, tid)
	assert.Equal(t, 1, f.count(`SELECT count(*) FROM trainings WHERE id = $1 AND status = 'open'`, tid))

	f.twice(func() error {
		return f.acts.AnnounceTraining(f.ctx, AnnounceTrainingInput{TrainingID: tid, Title: "培训通知", Body: "请通知本部门作出处罚的企业参训。"})
	}, "announcements to sthjj", `SELECT count(*) FROM notifications WHERE case_kind = 'training' AND case_id = $1::text
		AND kind = 'training_planned' AND department_id = 'sthjj'`, tid)

	f.twice(func() error {
		return f.acts.RemindTrainingEnrollees(f.ctx, RemindTrainingInput{TrainingID: tid, USCCs: []string{f.ent.USCC},
			Title: "培训提醒", Body: "明日培训。"})
	}, "reminders", `SELECT count(*) FROM notifications WHERE case_kind = 'training' AND case_id = $1::text AND kind = 'training_reminder'`, tid)

	var cert LetterRef
	f.twice(func() (err error) {
		cert, err = f.acts.IssueLetter(f.ctx, IssueLetterInput{CaseKind: "training", CaseID: "t1:" + f.ent.USCC, Version: 1,
			USCC: f.ent.USCC, Content: repairNoticeContent(f)})
		return err
	}, "certificates", `SELECT count(*) FROM letters WHERE case_kind = 'training' AND case_id = $1`, "t1:"+f.ent.USCC)
	in := TrainingCertificateInput{TrainingID: tid, USCC: f.ent.USCC, LetterID: cert.ID, Score: 88,
		Notice: NotifyInput{Key: "training-cert-" + f.ent.USCC, USCC: f.ent.USCC, Kind: "training_certified", Title: "已取得培训证明",
			Body: "证明已出具。", CaseKind: "training", CaseID: "t1"}}
	f.twice(func() error { return f.acts.RecordTrainingCertificate(f.ctx, in) },
		"certificate rows", `SELECT count(*) FROM training_certificates WHERE training_id = $1 AND uscc = $2`, tid, f.ent.USCC)
	assert.Equal(t, 1, f.count(`SELECT count(*) FROM notifications WHERE dedup_key = $1`, "training-cert-"+f.ent.USCC))
}

// TestObjectionCorrectionTwiceCorrectsOnce: a retried correction keeps one earlier version and one new version.
func TestObjectionCorrectionTwiceCorrectsOnce(t *testing.T) {
	f := newFixture(t)
	pid := f.penalty("镇环罚〔2026〕15号")
	oid := f.objection(pid)
	amount := "40000"
	in := CorrectPenaltyInput{ObjectionID: oid, PenaltyID: pid, Correction: domain.PenaltyCorrection{FineAmountYuan: &amount},
		Reason: "罚款金额录入有误", By: "sthjj"}
	var versions []int
	f.twice(func() error {
		v, err := f.acts.CorrectPenalty(f.ctx, in)
		versions = append(versions, v)
		return err
	}, "versions kept", `SELECT count(*) FROM penalty_versions WHERE penalty_id = $1`, pid)
	assert.Equal(t, versions[0], versions[1], "the retry answers with the version of the first call")
	assert.Equal(t, 1, f.count(`SELECT count(*) FROM penalties WHERE id = $1 AND fine_amount_yuan = 40000`, pid))
}

func TestObjectionChannelStateChangesTwiceActOnce(t *testing.T) {
	f := newFixture(t)
	pid := f.penalty("镇环罚〔2026〕15号")
	pubs, err := f.acts.CreatePublications(f.ctx, CreatePublicationsInput{PenaltyID: pid, DueOn: domain.MustParseDate("2026-05-29")})
	require.NoError(t, err)
	for _, c := range pubs.Channels {
		_, err := f.acts.ConfirmPublication(f.ctx, ConfirmPublicationInput{PenaltyID: pid, ChannelID: c.ChannelID, Reference: "P", By: "op"})
		require.NoError(t, err)
	}
	oid := f.objection(pid)
	due := domain.MustParseDate("2026-06-04")
	_, err = f.acts.OpenObjectionChannels(f.ctx, OpenObjectionChannelsInput{ObjectionID: oid, Action: "mark",
		Channels: []ObjectionChannelDue{{ChannelID: "creditchina", DueOn: due}, {ChannelID: "gsxt", DueOn: due}}})
	require.NoError(t, err)
	sent := ObjectionChannelInput{ObjectionID: oid, ChannelID: "creditchina", Action: "mark"}
	f.twice(func() error { return f.acts.MarkObjectionChannelSent(f.ctx, sent) },
		"sent rows", `SELECT count(*) FROM objection_channels WHERE objection_id = $1 AND channel_id = 'creditchina' AND status = 'sent'`, oid)
	f.twice(func() error { return f.acts.MarkObjectionChannelOverdue(f.ctx, sent) },
		"overdue rows", `SELECT count(*) FROM objection_channels WHERE objection_id = $1 AND channel_id = 'creditchina' AND status = 'overdue'`, oid)
	cancel := ObjectionChannelInput{ObjectionID: oid, ChannelID: "gsxt", Action: "mark"}
	f.twice(func() error { return f.acts.CancelObjectionChannel(f.ctx, cancel) },
		"cancelled rows", `SELECT count(*) FROM objection_channels WHERE objection_id = $1 AND channel_id = 'gsxt' AND status = 'cancelled'`, oid)

	// The late confirmation of the overdue channel marks the record there; clearing the marks twice clears them.
	_, err = f.acts.ConfirmObjectionChannel(f.ctx, ConfirmObjectionChannelInput{ObjectionID: oid, ChannelID: "creditchina",
		Action: "mark", Reference: "M", By: "op"})
	require.NoError(t, err)
	require.Equal(t, 1, f.count(`SELECT count(*) FROM publications WHERE penalty_id = $1 AND marked_objection`, pid))
	f.twice(func() error { return f.acts.ClearObjectionMarks(f.ctx, oid) },
		"unmarked publications", `SELECT count(*) FROM publications WHERE penalty_id = $1 AND channel_id = 'creditchina'
			AND NOT marked_objection AND marked_at IS NULL AND mark_objection_id IS NULL`, pid)
}

func TestTrainingStepTwiceRecordsOnce(t *testing.T) {
	f := newFixture(t)
	tid := f.training()
	in := TrainingStepInput{TrainingID: tid, Status: "started", Action: "training.started", At: time.Date(2026, 6, 10, 1, 0, 0, 0, time.UTC)}
	f.twice(func() error { return f.acts.TrainingStep(f.ctx, in) },
		"audit entries", `SELECT count(*) FROM audit_log WHERE case_kind = 'training' AND case_id = $1::text AND action = 'training.started'`, tid)
	assert.Equal(t, 1, f.count(`SELECT count(*) FROM trainings WHERE id = $1 AND status = 'started'`, tid))
	// A late retry of an earlier step does not move the session back.
	require.NoError(t, f.acts.TrainingStep(f.ctx, TrainingStepInput{TrainingID: tid, Status: "open", Action: "training.plan_issued"}))
	assert.Equal(t, 1, f.count(`SELECT count(*) FROM trainings WHERE id = $1 AND status = 'started'`, tid))
}

func TestWithdrawalChannelStateChangesTwiceActOnce(t *testing.T) {
	f := newFixture(t)
	pid := f.penalty("镇环罚〔2026〕15号")
	pubs, err := f.acts.CreatePublications(f.ctx, CreatePublicationsInput{PenaltyID: pid, DueOn: domain.MustParseDate("2026-05-29")})
	require.NoError(t, err)
	ch := pubs.Channels[0].ChannelID
	over := PublicationChannelInput{PenaltyID: pid, ChannelID: ch}
	f.twice(func() error { return f.acts.MarkPublicationOverdue(f.ctx, over) },
		"overdue publications", `SELECT count(*) FROM publications WHERE penalty_id = $1 AND channel_id = $2 AND status = 'overdue'`, pid, ch)
	for _, c := range pubs.Channels {
		_, err := f.acts.ConfirmPublication(f.ctx, ConfirmPublicationInput{PenaltyID: pid, ChannelID: c.ChannelID, Reference: "P", By: "op"})
		require.NoError(t, err)
	}
	wid, err := f.acts.OrderWithdrawal(f.ctx, WithdrawalInput{PenaltyID: pid, Cause: "expiry", OrderedOn: domain.MustParseDate("2027-05-21")})
	require.NoError(t, err)
	wc := WithdrawalChannelInput{WithdrawalID: wid, ChannelID: ch}
	f.twice(func() error { return f.acts.MarkWithdrawalChannelSent(f.ctx, wc) },
		"sent channels", `SELECT count(*) FROM withdrawal_channels WHERE withdrawal_id = $1 AND channel_id = $2 AND status = 'sent'`, wid, ch)
	f.twice(func() error { return f.acts.MarkWithdrawalChannelOverdue(f.ctx, wc) },
		"overdue channels", `SELECT count(*) FROM withdrawal_channels WHERE withdrawal_id = $1 AND channel_id = $2 AND status = 'overdue'`, wid, ch)

	// Withdrawn everywhere, then put back by an explicit decision: once per key.
	for _, c := range pubs.Channels {
		_, err := f.acts.ConfirmWithdrawalChannel(f.ctx, ConfirmChannelInput{WithdrawalID: wid, ChannelID: c.ChannelID, Reference: "W", By: "op"})
		require.NoError(t, err)
	}
	re := RepublishInput{PenaltyID: pid, Reason: "撤销信用修复决定，恢复公示", Key: "repair-9:republish"}
	f.twice(func() error { return f.acts.Republish(f.ctx, re) },
		"republication decisions", `SELECT count(*) FROM audit_log WHERE dedup_key = 'repair-9:republish'`)
	assert.Equal(t, len(pubs.Channels), f.count(`SELECT count(*) FROM publications WHERE penalty_id = $1 AND status = 'pending'`, pid))
}

func TestTrainingEnrollmentsAndRectificationTwiceActOnce(t *testing.T) {
	f := newFixture(t)
	tid := f.training()
	at := time.Date(2026, 6, 2, 2, 0, 0, 0, time.UTC)
	enroll := SaveEnrollmentsInput{TrainingID: tid, Rev: 1, Action: "training.enrolled", Actor: f.ent.USCC, Role: "enterprise",
		Rows: []TrainingEnrollment{{USCC: f.ent.USCC, Status: "enrolled", EnrolledBy: f.ent.USCC, EnrolledByRole: "enterprise",
			EnrolledAt: at, Rev: 1}},
		Notices: []NotifyInput{{Key: "training-enrolled-" + f.ent.USCC, USCC: f.ent.USCC, Kind: "training_enrolled",
			Title: "已报名信用修复培训", Body: "报名成功。", CaseKind: "training"}}}
	f.twice(func() error { return f.acts.SaveTrainingEnrollments(f.ctx, enroll) },
		"enrollments", `SELECT count(*) FROM training_enrollments WHERE training_id = $1 AND uscc = $2`, tid, f.ent.USCC)
	assert.Equal(t, 1, f.count(`SELECT count(*) FROM audit_log WHERE case_kind = 'training' AND case_id = $1::text AND action = 'training.enrolled'`, tid))
	assert.Equal(t, 1, f.count(`SELECT count(*) FROM notifications WHERE dedup_key = $1`, "training-enrolled-"+f.ent.USCC))

	rect := TrainingRectificationInput{TrainingID: tid, USCC: f.ent.USCC, DepartmentID: "sthjj", DueOn: domain.MustParseDate("2026-07-10"),
		Requirements: "完成废气治理设施改造", Actor: "sthjj", Role: "department", At: at, Rev: 2,
		Notice: NotifyInput{Key: "training-rect-" + f.ent.USCC, USCC: f.ent.USCC, Kind: "training_rectification",
			Title: "整改期限", Body: "请按期整改。", CaseKind: "training"}}
	f.twice(func() error { return f.acts.SaveTrainingRectification(f.ctx, rect) },
		"rectifications", `SELECT count(*) FROM training_rectifications WHERE training_id = $1 AND uscc = $2`, tid, f.ent.USCC)
	assert.Equal(t, 1, f.count(`SELECT count(*) FROM audit_log WHERE case_kind = 'training' AND case_id = $1::text AND action = 'training.rectification'`, tid))
}

func TestRestorePenaltyPublishedTwiceRecordsOnce(t *testing.T) {
	f := newFixture(t)
	pid := f.penalty("镇环罚〔2026〕15号")
	rid := f.repair(pid)
	_, err := f.db.ExecContext(f.ctx, `UPDATE penalties SET status = 'withdrawn' WHERE id = $1`, pid)
	require.NoError(t, err)
	in := RestorePublishedInput{PenaltyID: pid, RepairID: rid, Reason: "撤销信用修复决定"}
	f.twice(func() error { return f.acts.RestorePenaltyPublished(f.ctx, in) },
		"republication entries", `SELECT count(*) FROM audit_log WHERE case_kind = 'penalty' AND case_id = $1::text
			AND action = 'penalty.republished_after_fraud'`, pid)
	assert.Equal(t, 1, f.count(`SELECT count(*) FROM penalties WHERE id = $1 AND status = 'published'`, pid))
}

func TestFinishImportTwiceCompletesOnce(t *testing.T) {
	f := newFixture(t)
	imp, _, err := f.db.CreateImport(f.ctx, storage.NewImport{DepartmentID: "sthjj", CreatedBy: "sthjj", Filename: "a.csv",
		SHA256: strings.Repeat("a", 64), TotalRows: 0})
	require.NoError(t, err)
	var done []storage.PenaltyImport
	f.twice(func() error {
		if err := f.acts.FinishImport(f.ctx, imp.ID); err != nil {
			return err
		}
		i, err := f.db.GetImport(f.ctx, imp.ID)
		done = append(done, i)
		return err
	}, "completion entries", `SELECT count(*) FROM audit_log WHERE case_kind = 'penalty_import' AND case_id = $1::text
		AND action = 'penalty_import.completed'`, imp.ID)
	assert.Equal(t, domain.ImportCompleted, done[1].Status)
	assert.Equal(t, done[0].CompletedAt, done[1].CompletedAt, "completed once, at the first time")
}
