package workflows

import (
	"fmt"
	"strconv"
	"strings"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	activities "xinyong/activities/contract"
	"xinyong/domain"
)

// Publication (双公示): a record goes out to every channel it is published on by its due date; webhook channels
// are called until they answer, manual channels' operators confirm. Once the record is ordered withdrawn nothing
// here puts it back on any channel: a publication attempt that comes after the order is not sent.

// PublishConfirmUpdate is a manual channel operator's confirmation that the record is shown (ConfirmChannelRequest);
// it answers the publication's state.
const PublishConfirmUpdate = "confirm_publication"

// PublishStateQuery answers the publication's state (PublicationState).
const PublishStateQuery = "state"

// PublishInput asks for a record to be published on its channels by DueOn. Republish, when set, is the explicit
// new decision that puts back a record that was withdrawn (a repair revoked for fraud, a corrected record); it is
// recorded, and without it a withdrawn record is never sent again.
type PublishInput struct {
	PenaltyID int64
	DueOn     domain.Date
	Republish string `json:",omitempty"`
	// Shape, when set, is the version of publishLocalStepsVersion the run takes without asking GetVersion: a
	// lifecycle that publishes the record itself (publishInline) says so, which spares it a marker and its
	// search-attribute upsert (a visibility write) per record. Unset, the run asks GetVersion as before.
	Shape workflow.Version `json:",omitempty"`
}

// PublicationChannelState is one channel of a publication.
type PublicationChannelState struct {
	ChannelID string             `json:"channel_id"`
	Name      string             `json:"name"`
	Kind      domain.ChannelKind `json:"kind"`
	// Status is pending, sent, published, overdue or withdrawn (not sent: the record was ordered withdrawn).
	Status  string `json:"status"`
	Overdue bool   `json:"overdue"`
}

func (c *PublicationChannelState) done() bool {
	return c.Status == "published" || c.Status == "withdrawn"
}

// PublicationState is the publication as the workflow knows it.
type PublicationState struct {
	PenaltyID int64                     `json:"penalty_id"`
	DueOn     domain.Date               `json:"due_on"`
	Channels  []PublicationChannelState `json:"channels"`
}

func init() {
	registrars = append(registrars, func(w worker.Registry) { w.RegisterWorkflow(PublishWorkflow) })
}

type publication struct {
	in       PublishInput
	facts    activities.PublishFacts
	loaded   bool
	channels []*PublicationChannelState
	// local: this run takes its short database steps (the publications, the operators' tasks, overdue marks,
	// escalations, confirmations) as local activities, without a round trip through the server for each
	// (publishLocalStepsVersion). A record decided weeks ago starts with every channel overdue: some thirty steps.
	local bool
	// batched: this run opens its operators' tasks in one step and watches the due date with one timer for all
	// its channels, instead of a step and a timer a channel (version 2 of publishLocalStepsVersion).
	batched bool
	// opened are the channels whose operator's task was opened with the others.
	opened map[string]bool
}

// publishLocalStepsVersion marks the runs whose database steps are local activities (version 1, see
// publication.local), and whose operators' tasks and deadline are taken for all channels at once (version 2, see
// publication.batched).
const publishLocalStepsVersion = "publish-local-steps"

// publishShape is the version of publishLocalStepsVersion a publication started now takes.
const publishShape workflow.Version = 2

// act runs one of the publication's database steps, local from publishLocalStepsVersion on.
func (p *publication) act(ctx workflow.Context, name string, fn any, arg any) workflow.Future {
	return shortStep(ctx, p.local, name, fn, arg)
}

// PublishWorkflow publishes a record on its channels (ID PublishWorkflowID(penaltyID)) and ends when every channel
// has it, or has refused it because the record was withdrawn meanwhile. Cancelling it (the penalty workflow does,
// when a withdrawal starts) stops the attempts still under way.
func PublishWorkflow(ctx workflow.Context, in PublishInput) error {
	p := &publication{in: in}
	if err := workflow.SetQueryHandler(ctx, PublishStateQuery, func() (PublicationState, error) { return p.snapshot(), nil }); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, PublishConfirmUpdate, p.confirm,
		workflow.UpdateHandlerOptions{Validator: p.validateConfirm}); err != nil {
		return err
	}
	// A provisional due date counted again (PublishDueSignal): the tasks moved with it, the overdue watch follows.
	dues := workflow.GetSignalChannel(ctx, PublishDueSignal)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var due domain.Date
			dues.Receive(ctx, &due)
			if !due.IsZero() {
				p.in.DueOn = due
			}
		}
	})
	return p.run(withActivityOptions(ctx))
}

func (p *publication) caseID() string { return strconv.FormatInt(p.in.PenaltyID, 10) }

func (p *publication) snapshot() PublicationState {
	s := PublicationState{PenaltyID: p.in.PenaltyID, DueOn: p.in.DueOn, Channels: []PublicationChannelState{}}
	for _, c := range p.channels {
		s.Channels = append(s.Channels, *c)
	}
	return s
}

func (p *publication) channel(id string) *PublicationChannelState {
	for _, c := range p.channels {
		if c.ChannelID == id {
			return c
		}
	}
	return nil
}

func (p *publication) allDone() bool {
	for _, c := range p.channels {
		if !c.done() {
			return false
		}
	}
	return true
}

func (p *publication) checkConfirm(req ConfirmChannelRequest) error {
	if strings.TrimSpace(req.ChannelID) == "" {
		return reject("invalid_channel", "请指定确认公示的渠道", false)
	}
	if n := len([]rune(strings.TrimSpace(req.Reference))); n == 0 || n > 200 {
		return reject("invalid_reference", "请填写公示凭据（渠道的公示编号或网址，不超过200字）", false)
	}
	if !p.loaded {
		return nil
	}
	c := p.channel(req.ChannelID)
	switch {
	case c == nil:
		return reject("channel_not_addressed", "该处罚信息不在此渠道公示", false)
	case c.Kind != domain.ChannelManual:
		return reject("not_manual_channel", "系统对接渠道由渠道系统自动确认，无需人工确认", true)
	case c.Status == "withdrawn":
		return reject("record_withdrawn", "该处罚信息已撤下公示，不得重新公示", true)
	}
	return nil
}

func (p *publication) validateConfirm(ctx workflow.Context, req ConfirmChannelRequest) error {
	return p.checkConfirm(req)
}

func (p *publication) confirm(ctx workflow.Context, req ConfirmChannelRequest) (PublicationState, error) {
	if err := workflow.Await(ctx, func() bool { return p.loaded }); err != nil {
		return PublicationState{}, err
	}
	if err := p.checkConfirm(req); err != nil {
		return PublicationState{}, err
	}
	c := p.channel(req.ChannelID)
	if c.done() {
		return p.snapshot(), nil
	}
	var res activities.PublicationResult
	if err := p.act(withActivityOptions(ctx), "ConfirmPublication", acts.ConfirmPublication, activities.ConfirmPublicationInput{
		PenaltyID: p.in.PenaltyID, ChannelID: c.ChannelID, Reference: strings.TrimSpace(req.Reference), By: req.By,
	}).Get(ctx, &res); err != nil {
		return PublicationState{}, err
	}
	p.apply(c, res)
	if res.Withdrawn {
		return PublicationState{}, reject("record_withdrawn", "该处罚信息已撤下公示，不得重新公示", true)
	}
	return p.snapshot(), nil
}

func (p *publication) apply(c *PublicationChannelState, res activities.PublicationResult) {
	switch {
	case res.Withdrawn:
		c.Status = "withdrawn"
	case res.Published:
		c.Status = "published"
	}
}

func (p *publication) run(ctx workflow.Context) error {
	shape := p.in.Shape
	if shape == 0 {
		shape = workflow.GetVersion(ctx, publishLocalStepsVersion, workflow.DefaultVersion, publishShape)
	}
	p.local, p.batched = shape >= 1, shape >= 2
	if p.in.Republish != "" {
		info := workflow.GetInfo(ctx)
		if err := workflow.ExecuteActivity(ctx, acts.Republish, activities.RepublishInput{
			PenaltyID: p.in.PenaltyID, Reason: p.in.Republish,
			Key: "republish-" + info.WorkflowExecution.ID + "-" + info.OriginalRunID,
		}).Get(ctx, nil); err != nil {
			return err
		}
	}
	if err := p.act(ctx, "CreatePublications", acts.CreatePublications, activities.CreatePublicationsInput{
		PenaltyID: p.in.PenaltyID, DueOn: p.in.DueOn}).Get(ctx, &p.facts); err != nil {
		return err
	}
	for _, cf := range p.facts.Channels {
		st := cf.Status
		if cf.Blocked {
			st = "withdrawn"
		}
		p.channels = append(p.channels, &PublicationChannelState{ChannelID: cf.ChannelID, Name: cf.Name, Kind: cf.Kind,
			Status: st, Overdue: st == "overdue"})
	}
	p.loaded = true
	if !p.facts.Published {
		return nil
	}
	wg := workflow.NewWaitGroup(ctx)
	if p.batched {
		p.openOperatorTasks(ctx)
		wg.Add(1)
		workflow.Go(ctx, func(ctx workflow.Context) { defer wg.Done(); p.watchDeadlines(ctx) })
	}
	for _, c := range p.channels {
		if c.done() {
			continue
		}
		c := c
		wg.Add(1)
		workflow.Go(ctx, func(ctx workflow.Context) { defer wg.Done(); p.send(ctx, c) })
		if !p.batched {
			wg.Add(1)
			workflow.Go(ctx, func(ctx workflow.Context) { defer wg.Done(); p.watchDeadline(ctx, c) })
		}
	}
	err := workflow.Await(ctx, p.allDone)
	if err == nil {
		wg.Wait(ctx) // the operators' tasks and escalations are closed before the publication ends
	}
	if err != nil {
		// Cancelled: the operators' tasks for channels not yet confirmed are no longer theirs to do.
		dctx, _ := workflow.NewDisconnectedContext(ctx)
		dctx = withActivityOptions(dctx)
		for _, c := range p.channels {
			if c.Kind == domain.ChannelManual && !c.done() {
				_ = p.act(dctx, "CloseTask", acts.CloseTask, activities.CloseTaskInput{
					CaseKind: "publication", CaseID: p.caseID(), Step: "publish:" + c.ChannelID, Status: domain.TaskCancelled}).Get(dctx, nil)
			}
		}
		return err
	}
	return workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
}

// send publishes on one channel: a webhook channel is called until it answers; a manual channel's operator gets
// a task and confirms through PublishConfirmUpdate.
func (p *publication) send(ctx workflow.Context, c *PublicationChannelState) {
	log := workflow.GetLogger(ctx)
	if c.Kind == domain.ChannelWebhook {
		var res activities.PublicationResult
		err := workflow.ExecuteActivity(withChannelOptions(ctx), acts.PublishToChannel, activities.PublicationChannelInput{
			PenaltyID: p.in.PenaltyID, ChannelID: c.ChannelID}).Get(ctx, &res)
		switch {
		case err == nil:
			p.apply(c, res)
			return
		case isNotWebhook(err):
			c.Kind = domain.ChannelManual // switched to manual confirmation meanwhile: its operator confirms
		default:
			log.Warn("publication ended without confirmation", "penalty", p.in.PenaltyID, "channel", c.ChannelID, "error", err)
			return
		}
	}
	step := "publish:" + c.ChannelID
	if !p.opened[c.ChannelID] {
		if err := p.act(ctx, "OpenTask", acts.OpenTask, p.operatorTask(c)).Get(ctx, nil); err != nil {
			log.Error("open publication task", "penalty", p.in.PenaltyID, "channel", c.ChannelID, "error", err)
		}
	}
	if err := workflow.Await(ctx, c.done); err != nil {
		return
	}
	status := domain.TaskDone
	if c.Status == "withdrawn" {
		status = domain.TaskCancelled
	}
	_ = p.act(ctx, "CloseTask", acts.CloseTask, activities.CloseTaskInput{CaseKind: "publication", CaseID: p.caseID(),
		Step: step, Status: status}).Get(ctx, nil)
}

// operatorTask is the task of a manual channel's operator: show the record and confirm it.
func (p *publication) operatorTask(c *PublicationChannelState) activities.TaskInput {
	var due *domain.Date
	if d := p.in.DueOn; !d.IsZero() {
		due = &d
	}
	return activities.TaskInput{
		CaseKind: "publication", CaseID: p.caseID(), Step: "publish:" + c.ChannelID, AssigneeRole: domain.RoleChannelOperator,
		ChannelID: c.ChannelID, Title: fmt.Sprintf("公示处罚信息：%s（%s）", p.facts.EnterpriseName, p.facts.DecisionNo), DueOn: due,
	}
}

// openOperatorTasks opens the tasks of every manual channel still to confirm in one step (p.batched); a webhook
// channel switched to manual meanwhile opens its own in send.
func (p *publication) openOperatorTasks(ctx workflow.Context) {
	var in activities.OpenTasksInput
	p.opened = map[string]bool{}
	for _, c := range p.channels {
		if c.Kind == domain.ChannelManual && !c.done() {
			in.Tasks = append(in.Tasks, p.operatorTask(c))
			p.opened[c.ChannelID] = true
		}
	}
	if len(in.Tasks) == 0 {
		return
	}
	if err := p.act(ctx, "OpenTasks", acts.OpenTasks, in).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Error("open publication tasks", "penalty", p.in.PenaltyID, "error", err)
	}
}

// watchDeadlines is watchDeadline for all channels with one timer (p.batched): when the due date ends, every
// channel not confirmed by then is marked overdue and escalated.
func (p *publication) watchDeadlines(ctx workflow.Context) {
	if p.in.DueOn.IsZero() {
		return
	}
	inTime, due, err := awaitUntilEndOfMoving(ctx, func() domain.Date { return p.in.DueOn }, p.allDone)
	if err != nil || inTime {
		return
	}
	wg := workflow.NewWaitGroup(ctx)
	for _, c := range p.channels {
		if c.done() {
			continue
		}
		c := c
		wg.Add(1)
		workflow.Go(ctx, func(ctx workflow.Context) { defer wg.Done(); p.overdue(ctx, c, due) })
	}
	wg.Wait(ctx)
}

// watchDeadline marks a publication overdue when its due date ends unconfirmed and escalates it to the credit
// office.
func (p *publication) watchDeadline(ctx workflow.Context, c *PublicationChannelState) {
	if p.in.DueOn.IsZero() {
		return
	}
	inTime, due, err := awaitUntilEndOfMoving(ctx, func() domain.Date { return p.in.DueOn }, c.done)
	if err != nil || inTime {
		return
	}
	p.overdue(ctx, c, due)
}

// overdue marks a channel's publication overdue after its due date, escalates it to the credit office, and closes
// the escalation once the channel is done.
func (p *publication) overdue(ctx workflow.Context, c *PublicationChannelState, due domain.Date) {
	step := "publish:" + c.ChannelID
	c.Overdue = true
	if c.Status != "withdrawn" && c.Status != "published" {
		c.Status = "overdue"
	}
	if err := p.act(ctx, "MarkPublicationOverdue", acts.MarkPublicationOverdue, activities.PublicationChannelInput{
		PenaltyID: p.in.PenaltyID, ChannelID: c.ChannelID}).Get(ctx, nil); err != nil {
		return
	}
	if err := p.act(ctx, "Escalate", acts.Escalate, activities.EscalateInput{
		CaseKind: "publication", CaseID: p.caseID(), Step: step, DueOn: &due,
		Title: fmt.Sprintf("公示渠道逾期未公示：%s（%s，%s）", c.Name, p.facts.EnterpriseName, p.facts.DecisionNo),
	}).Get(ctx, nil); err != nil {
		return
	}
	if err := workflow.Await(ctx, c.done); err != nil {
		return
	}
	_ = p.act(ctx, "CloseTask", acts.CloseTask, activities.CloseTaskInput{
		CaseKind: "publication", CaseID: p.caseID(), Step: "escalation:" + step}).Get(ctx, nil)
}
