package workflows

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"xinyong/activities"
	"xinyong/templates/letters"
	"xinyong/workflows/wftest"
)

// registerAll registers every workflow as the worker does.
func registerAll(r worker.Registry) { Register(r, nil) }

// recordedHistories are the histories in testdata, recorded by the e2e tests against a real Temporal server
// (XINYONG_RECORD_HISTORY=1 go test ./workflows/e2e -run <Test>), and what each proves. A listed file that is
// missing fails the replay test, and so does a file that is not listed: a history nobody replays proves nothing.
//
// compareInputs is set for histories recorded since letters are built in activities: for those the code must also
// send every activity the input it sent then. Older histories carry prebuilt letters (IssueLetterInput.Letter) that
// the current code no longer sends; they replay all the same, since Temporal matches activities by type.
var recordedHistories = map[string]struct {
	recordedBy    string
	compareInputs bool
}{
	// Finished cases.
	"objection_corrected.json":         {"TestObjectionUpheldAndCorrected", false},
	"objection_upheld.json":            {"TestObjectionUpheldAndCorrected", false},
	"objection_withdrawn.json":         {"TestObjectionWithdrawnMarksEveryChannelThenWithdrawsEverywhere", false},
	"penalty_minor_unpublished.json":   {"TestPenaltyMinorUnpublished", false},
	"penalty_revocation.json":          {"TestPenaltyRegistrationDeliveryPublicationAndRevocation (before penalty-shape; kept, no longer recorded)", false},
	"penalty_revocation_inline.json":   {"TestPenaltyRegistrationDeliveryPublicationAndRevocation: published by the lifecycle itself (asking for penalty-shape; kept, no longer recorded)", true},
	"penalty_revocation_shaped.json":   {"TestPenaltyRegistrationDeliveryPublicationAndRevocation: published by the lifecycle itself, its shape given at the start", true},
	"repair_approved.json":             {"TestRepair", false},
	"repair_supplement_cancelled.json": {"TestRepair", false},
	"training_closed.json":             {"TestTraining", false},
	"withdrawal_five_channels.json":    {"TestWithdrawal", false},
	"withdrawal_publish.json":          {"TestWithdrawal", false},
	"import_completed.json":            {"TestPenaltyImportStartsEveryLifecycleInTheBackground", true},
	"reconcile_started_orphans.json":   {"TestCrashBetweenRowAndWorkflowIsReconciled", false},
	"repair_reconciled.json":           {"TestCrashBetweenRowAndWorkflowIsReconciled", false},
	"repair_refused_at_start.json":     {"TestRepairRowIsWrittenByItsWorkflow", false},
	"reconcile_row_first.json":         {"TestRowFirstOrphansAreReconciled", true},
	// In-flight cases: what a worker finds when it restarts while they wait.
	"penalty_publishing.json":                   {"TestPenaltyRegistrationDeliveryPublicationAndRevocation: delivered, sleeping in its publication period (before penalty-shape; kept, no longer recorded)", true},
	"penalty_publishing_inline.json":            {"TestPenaltyRegistrationDeliveryPublicationAndRevocation: delivered, publishing by itself and sleeping in its publication period (asking for penalty-shape; kept, no longer recorded)", true},
	"penalty_publishing_shaped.json":            {"TestPenaltyRegistrationDeliveryPublicationAndRevocation: delivered, publishing by itself and sleeping in its publication period, its shape given at the start", true},
	"repair_waiting_training.json":              {"TestRepairContinuesWhenTheTrainingFlowIssuesTheCertificate: waiting for the training certificate", true},
	"repair_created_pending_acceptance.json":    {"TestRepairRowIsWrittenByItsWorkflow: created by its workflow, waiting for acceptance", false},
	"import_midway.json":                        {"TestPenaltyImportStartsEveryLifecycleInTheBackground: starting its first batch of lifecycles", true},
	"penalty_reconciled_awaiting_delivery.json": {"TestRowFirstOrphansAreReconciled: started by the reconciler, its notice issued, waiting for delivery", true},
}

// TestReplayRecordedHistories replays every recorded history against the current code, so a change that would
// break a running workflow fails here.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(wftest.TestdataDir(), "*.json"))
	require.NoError(t, err)
	var unlisted []string
	for _, f := range files {
		if _, ok := recordedHistories[filepath.Base(f)]; !ok {
			unlisted = append(unlisted, filepath.Base(f))
		}
	}
	require.Empty(t, unlisted, "histories in testdata that recordedHistories does not list")
	names := make([]string, 0, len(recordedHistories))
	for name := range recordedHistories {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		h := recordedHistories[name]
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(wftest.TestdataDir(), name)
			if _, err := os.Stat(path); err != nil {
				t.Fatalf("recorded history %s is missing: run XINYONG_RECORD_HISTORY=1 go test ./workflows/e2e -run '%s'",
					name, strings.SplitN(h.recordedBy, ":", 2)[0])
			}
			wftest.Replay(t, path, registerAll, wftest.Options{CompareActivityInputs: h.compareInputs})
		})
	}
}

// issuedLetter is the letter the IssueLetter activity would print for in: built from its content with the texts in
// use, as the activity does, so a workflow test also proves that what the workflow passes builds.
func issuedLetter(t testing.TB, in activities.IssueLetterInput) letters.Letter {
	t.Helper()
	if in.Content == nil {
		return in.Letter
	}
	l, err := letters.Build(*in.Content)
	if err != nil {
		t.Errorf("letter %s of %s %s does not build: %v", in.Content.Kind, in.CaseKind, in.CaseID, err)
	}
	return l
}

// TestReplayCatchesWhatTemporalDoesNot: the replay helper fails on a history whose activity input differs from
// what the code sends now (a letter's wording, had it been built in workflow code), which Temporal's replayer lets
// pass, and on one whose activity differs.
func TestReplayCatchesWhatTemporalDoesNot(t *testing.T) {
	h, err := wftest.LoadHistory(filepath.Join(wftest.TestdataDir(), "penalty_publishing.json"))
	require.NoError(t, err)
	require.NoError(t, wftest.ReplayHistory(h, registerAll, wftest.Options{CompareActivityInputs: true}))

	var letter *historypb.HistoryEvent
	for _, ev := range h.Events {
		if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil && a.ActivityType.GetName() == "IssueLetter" {
			letter = ev
			break
		}
	}
	require.NotNil(t, letter, "the lifecycle issues letters")
	p := letter.GetActivityTaskScheduledEventAttributes().Input.Payloads[0]
	original := p.Data
	p.Data = []byte(strings.Replace(string(original), "repair_notice", "delivery_receipt", 1))
	require.NotEqual(t, original, p.Data)
	require.NoError(t, wftest.ReplayHistory(h, registerAll, wftest.Options{}), "Temporal compares activity types only")
	err = wftest.ReplayHistory(h, registerAll, wftest.Options{CompareActivityInputs: true})
	require.ErrorContains(t, err, "the input of IssueLetter differs")
	p.Data = original

	letter.GetActivityTaskScheduledEventAttributes().ActivityType.Name = "IssueLetterV2"
	require.Error(t, wftest.ReplayHistory(h, registerAll, wftest.Options{}))
}

// update is where the answer to an update a test sends lands; S is the state the workflow answers with.
type update[S any] struct {
	mu       sync.Mutex
	done     bool
	rejected error
	value    any
	state    S
}

func (o *update[S]) callbacks() *testsuite.TestUpdateCallback {
	return &testsuite.TestUpdateCallback{
		OnAccept: func() {},
		OnReject: func(err error) {
			o.mu.Lock()
			defer o.mu.Unlock()
			o.rejected, o.done = err, true
		},
		OnComplete: func(v any, err error) {
			o.mu.Lock()
			defer o.mu.Unlock()
			o.value, o.rejected, o.done = v, err, true
			if st, ok := v.(S); ok && err == nil {
				o.state = st
			}
		},
	}
}

func (o *update[S]) result() (any, error, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.value, o.rejected, o.done
}

// sendUpdateAt sends the update name with args after d of workflow time.
func sendUpdateAt[S any](env *testsuite.TestWorkflowEnvironment, d time.Duration, name string, args ...any) *update[S] {
	o := &update[S]{}
	env.RegisterDelayedCallback(func() { env.UpdateWorkflow(name, "", o.callbacks(), args...) }, d)
	return o
}

// requireRefused requires the update to have been refused with code and a message in Chinese.
func requireRefused[S any](t testing.TB, o *update[S], code string) {
	t.Helper()
	_, err, done := o.result()
	require.True(t, done, "update %s never answered", code)
	require.Error(t, err)
	rej, ok := AsRejection(err)
	require.True(t, ok, "not a rejection: %v", err)
	require.Equal(t, code, rej.Code)
	require.Regexp(t, `\p{Han}`, rej.Message)
}

// requireAccepted requires the update to have been answered without error, and returns its answer.
func requireAccepted[S any](t testing.TB, o *update[S]) any {
	t.Helper()
	v, err, done := o.result()
	require.True(t, done, "update never answered")
	require.NoError(t, err)
	return v
}

// letterText joins every text a letter prints.
func letterText(l letters.Letter) string {
	var b strings.Builder
	for _, s := range append(append([]string{l.Letterhead, l.Title, l.Number, l.Addressee, l.Issuer}, l.Paragraphs...), l.Notes...) {
		b.WriteString(s + "\n")
	}
	for _, f := range l.Facts {
		b.WriteString(f.Label + "：" + f.Value + "\n")
	}
	if l.Table != nil {
		for _, row := range l.Table.Rows {
			b.WriteString(strings.Join(row, " ") + "\n")
		}
	}
	return b.String()
}
