package workflows

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	activities "xinyong/activities/contract"
	"xinyong/domain"
	"xinyong/templates/letters"
)

// The main flow.

func (w *training) run(ctx workflow.Context) error {
	if !w.announced {
		if err := w.issuePlan(ctx); err != nil {
			return err
		}
		if err := workflow.ExecuteActivity(ctx, acts.AnnounceTraining, activities.AnnounceTrainingInput{
			TrainingID: w.p.TrainingID, Title: "新的信用修复培训场次：" + w.p.Title,
			Body: fmt.Sprintf("%s将于%s在%s举办“%s”（%d学时，%d个名额，由%s承办）。请通知本部门作出行政处罚的企业报名参加，并派员到场开展现场对接。",
				w.p.Organizer, formatDateTime(w.p.StartsAt), w.p.Venue, w.p.Title, w.p.ClassHours, w.p.Capacity, w.p.AgencyName),
		}).Get(ctx, nil); err != nil {
			return err
		}
		w.announced = true
	}

	// A day before the session, the enrolled enterprises are reminded.
	if wait := w.p.StartsAt.Add(-TrainingReminderLead).Sub(workflow.Now(ctx)); wait > 0 && !w.reminded {
		if _, err := w.wait(ctx, wait, nil); err != nil {
			return err
		}
		if err := w.remind(ctx); err != nil {
			return err
		}
		w.reminded = true
	}

	// The session starts: enrollment closes, attendance and results open.
	if wait := w.p.StartsAt.Sub(workflow.Now(ctx)); wait > 0 {
		if _, err := w.wait(ctx, wait, nil); err != nil {
			return err
		}
	}
	if !w.started {
		if !w.closeRequested {
			w.status = domain.TrainingStarted
		}
		if err := workflow.ExecuteActivity(ctx, acts.TrainingStep, activities.TrainingStepInput{
			TrainingID: w.p.TrainingID, Status: domain.TrainingStarted, Action: "training.started", At: workflow.Now(ctx),
		}).Get(ctx, nil); err != nil {
			return err
		}
		w.started = true
	}

	// The agency closes the session; if it does not, the session closes by itself after the grace period. A run
	// that continues as new comes back here.
	if !w.closeRequested {
		wait := w.p.EndsAt.Add(TrainingCloseGrace).Sub(workflow.Now(ctx))
		closed := false
		if wait > 0 {
			var err error
			if closed, err = w.wait(ctx, wait, func() bool { return w.closeRequested }); err != nil {
				return err
			}
		}
		if !closed && !w.closeRequested {
			w.closeRequested, w.closedBy, w.closedByRole, w.status = true, "", "", trainingClosing
		}
	}
	if err := w.issueCertificates(ctx); err != nil {
		return err
	}
	w.status = domain.TrainingClosed
	return workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
}

func (w *training) issuePlan(ctx workflow.Context) error {
	plan := trainingPlanContent(w.p, today(ctx))
	var ref activities.LetterRef
	if err := workflow.ExecuteActivity(ctx, acts.IssueLetter, activities.IssueLetterInput{
		CaseKind: "training", CaseID: w.caseID(), Version: 1, Content: &plan,
		Data: map[string]any{"training_id": w.p.TrainingID, "title": w.p.Title, "starts_at": w.p.StartsAt, "ends_at": w.p.EndsAt,
			"venue": w.p.Venue, "capacity": w.p.Capacity, "class_hours": w.p.ClassHours, "agency": w.p.AgencyLogin,
			"pass_score": w.p.PassScore},
	}).Get(ctx, &ref); err != nil {
		return err
	}
	if err := workflow.ExecuteActivity(ctx, acts.RecordTrainingPlan, activities.TrainingPlanInput{
		TrainingID: w.p.TrainingID, LetterID: ref.ID, At: workflow.Now(ctx),
	}).Get(ctx, nil); err != nil {
		return err
	}
	w.plan = &ref
	if w.status == domain.TrainingPlanned {
		w.status = domain.TrainingOpen
	}
	return nil
}

func (w *training) remind(ctx workflow.Context) error {
	var usccs []string
	for _, e := range w.list {
		if e.Status == domain.EnrollmentEnrolled {
			usccs = append(usccs, e.USCC)
		}
	}
	if len(usccs) == 0 {
		return nil
	}
	return workflow.ExecuteActivity(ctx, acts.RemindTrainingEnrollees, activities.RemindTrainingInput{
		TrainingID: w.p.TrainingID, USCCs: usccs, Title: "信用修复培训提醒：" + w.p.Title,
		Body: fmt.Sprintf("你单位报名参加的“%s”将于%s在%s举行（%d学时）。请法定代表人或主要负责人携带身份证件准时参加；培训结束后进行考试，考试合格的出具信用修复培训证明。",
			w.p.Title, formatDateTime(w.p.StartsAt), w.p.Venue, w.p.ClassHours),
	}).Get(ctx, nil)
}

// issueCertificates issues a certificate to every enterprise that attended and passed, tells the others, signals
// the repair cases waiting for the certificates, and records the session closed.
func (w *training) issueCertificates(ctx workflow.Context) error {
	var passed []activities.TrainingEnrollment
	var notPassed []string
	var notices []activities.NotifyInput
	for _, e := range w.list {
		switch {
		case e.Status != domain.EnrollmentEnrolled:
		case e.Passed(w.p.PassScore):
			passed = append(passed, *e)
		default:
			notPassed = append(notPassed, e.USCC)
			why := "未参加培训"
			switch {
			case e.Attended != nil && *e.Attended && e.Score == nil:
				why = "没有考试成绩"
			case e.Attended != nil && *e.Attended:
				why = fmt.Sprintf("考试成绩%d分，未达到合格线%d分", *e.Score, w.p.PassScore)
			}
			notices = append(notices, w.notice(e.USCC, "not-certified", "training_not_certified", "信用修复培训未取得培训证明",
				fmt.Sprintf("“%s”已结束。你单位%s，未取得信用修复培训证明；可报名参加以后的培训场次。", w.p.Title, why)))
		}
	}
	names := map[string]string{}
	if len(passed) > 0 {
		usccs := make([]string, len(passed))
		for i, e := range passed {
			usccs[i] = e.USCC
		}
		if err := workflow.ExecuteActivity(ctx, acts.EnterpriseNames, usccs).Get(ctx, &names); err != nil {
			return err
		}
	}
	issued := today(ctx)
	certs := make([]TrainingCertificateRef, len(passed))
	errs := make([]error, len(passed))
	for start := 0; start < len(passed); start += certificateParallelism {
		wg := workflow.NewWaitGroup(ctx)
		for i := start; i < min(start+certificateParallelism, len(passed)); i++ {
			wg.Add(1)
			workflow.Go(ctx, func(ctx workflow.Context) {
				defer wg.Done()
				certs[i], errs[i] = w.certify(ctx, passed[i], i+1, names[passed[i].USCC], issued)
			})
		}
		wg.Wait(ctx)
		for _, err := range errs[start:min(start+certificateParallelism, len(passed))] {
			if err != nil {
				return err
			}
		}
	}
	w.certificates = certs
	certified := make([]string, len(certs))
	for i, c := range certs {
		certified[i] = c.USCC
	}
	if len(notices) > 0 {
		w.rev++
		if err := workflow.ExecuteActivity(ctx, acts.SaveTrainingEnrollments, activities.SaveEnrollmentsInput{
			TrainingID: w.p.TrainingID, Rev: w.rev, Action: "training.not_certified", Notices: notices,
			Details: map[string]any{"usccs": notPassed},
		}).Get(ctx, nil); err != nil {
			return err
		}
	}
	return workflow.ExecuteActivity(ctx, acts.TrainingStep, activities.TrainingStepInput{
		TrainingID: w.p.TrainingID, Status: domain.TrainingClosed, Action: "training.closed", Actor: w.closedBy,
		Role: w.closedByRole, At: workflow.Now(ctx),
		Details: map[string]any{"certified": certified, "not_certified": notPassed, "auto": w.closedBy == ""},
	}).Get(ctx, nil)
}

// certify issues one enterprise's certificate, records it and signals its repair cases that wait for training.
func (w *training) certify(ctx workflow.Context, e activities.TrainingEnrollment, n int, name string, issued domain.Date) (TrainingCertificateRef, error) {
	if name == "" {
		name = e.USCC
	}
	cert := letters.TrainingCertificateData{
		Issue: letters.Issue{Issuer: w.p.Organizer, Number: fmt.Sprintf("信修培证〔%d〕%d-%d号", issued.Y, w.p.TrainingID, n),
			Date: issued.Time(domain.Shanghai)},
		EnterpriseName: name, USCC: e.USCC, Attendee: e.AttendeeName, AttendeeRole: e.AttendeeRole.Label(),
		TrainingTitle: w.p.Title, StartsAt: w.p.StartsAt.In(domain.Shanghai), EndsAt: w.p.EndsAt.In(domain.Shanghai),
		Venue: w.p.Venue, ClassHours: w.p.ClassHours, Agency: w.p.AgencyName, Score: *e.Score, PassScore: w.p.PassScore,
	}
	var ref activities.LetterRef
	// One session issues many certificates: each is its own letter "case" <training id>:<uscc>, since a letter is
	// stored once per case, kind and version.
	if err := workflow.ExecuteActivity(ctx, acts.IssueLetter, activities.IssueLetterInput{
		CaseKind: "training", CaseID: CertificateCaseID(w.p.TrainingID, e.USCC), Version: 1, USCC: e.USCC,
		Content: &letters.Content{Kind: letters.KindTrainingCertificate, Data: cert},
		Data: map[string]any{"training_id": w.p.TrainingID, "uscc": e.USCC, "score": *e.Score, "pass_score": w.p.PassScore,
			"attendee_name": e.AttendeeName, "attendee_role": e.AttendeeRole},
	}).Get(ctx, &ref); err != nil {
		return TrainingCertificateRef{}, err
	}
	if err := workflow.ExecuteActivity(ctx, acts.RecordTrainingCertificate, activities.TrainingCertificateInput{
		TrainingID: w.p.TrainingID, USCC: e.USCC, LetterID: ref.ID, Score: *e.Score,
		Notice: w.notice(e.USCC, "certified", "training_certified", "已取得信用修复培训证明",
			fmt.Sprintf("你单位参加“%s”并考试合格（%d分），信用修复培训证明已出具（核验码%s），可在“信用修复培训”中下载，并作为申请信用修复的材料。",
				w.p.Title, *e.Score, ref.VerifyCode)),
	}).Get(ctx, nil); err != nil {
		return TrainingCertificateRef{}, err
	}
	var repairs []int64
	if err := workflow.ExecuteActivity(ctx, acts.FindWaitingRepairs, e.USCC).Get(ctx, &repairs); err != nil {
		return TrainingCertificateRef{}, err
	}
	for _, id := range repairs {
		// A case that no longer runs does not need the certificate; any other failure is logged, and the case can
		// still find the certificate by the enterprise's code.
		if err := workflow.SignalExternalWorkflow(ctx, RepairWorkflowID(id), "", SignalTrainingCertificate,
			TrainingCertificateSignal{LetterID: ref.ID, TrainingID: w.p.TrainingID, USCC: e.USCC}).Get(ctx, nil); err != nil {
			workflow.GetLogger(ctx).Warn("training certificate signal not delivered", "repair", id, "error", err)
		}
	}
	return TrainingCertificateRef{USCC: e.USCC, LetterID: ref.ID, VerifyCode: ref.VerifyCode}, nil
}

// CertificateCaseID is the letter case of one enterprise's certificate at a session.
func CertificateCaseID(trainingID int64, uscc string) string {
	return strconv.FormatInt(trainingID, 10) + ":" + uscc
}

// TrainingPlanKind is the letter kind of a session's plan (培训方案).
const TrainingPlanKind = letters.KindTrainingPlan

// trainingPlanContent is what the 培训方案 of a session says; the activity applies the wording.
func trainingPlanContent(p TrainingParams, issued domain.Date) letters.Content {
	return letters.Content{Kind: letters.KindTrainingPlan, Data: letters.TrainingPlanData{
		Issue: letters.Issue{Issuer: p.Organizer, Number: fmt.Sprintf("信修培方〔%d〕%d号", issued.Y, p.TrainingID),
			Date: issued.Time(domain.Shanghai)},
		Title: p.Title, StartsAt: p.StartsAt.In(domain.Shanghai), EndsAt: p.EndsAt.In(domain.Shanghai), Venue: p.Venue,
		Online:     strings.HasPrefix(p.Venue, "http://") || strings.HasPrefix(p.Venue, "https://"),
		ClassHours: p.ClassHours, Capacity: p.Capacity, Agency: p.AgencyName, PassScore: p.PassScore,
	}}
}

// formatDateTime prints an instant as letters and messages do, in Asia/Shanghai: 2026年6月10日 09:00.
func formatDateTime(t time.Time) string {
	t = t.In(domain.Shanghai)
	return letters.FormatDate(t) + t.Format(" 15:04")
}
