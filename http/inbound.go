package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.temporal.io/api/serviceerror"

	"xinyong/activities"
	"xinyong/domain"
	"xinyong/storage"
	"xinyong/workflows"
)

// Applications pushed by a publishing channel or another platform (Order 36 art. 13: 信用中国 receives applications
// and pushes them to the recognizing unit; art. 17: the result goes back to it). A push is signed like the
// platform's own webhooks (X-Xinyong-Signature: sha256=<HMAC-SHA256 of the raw body, keyed with the channel's
// secret>), carries an Idempotency-Key and a pushed_at time inside the signed body. It creates the case through
// the same workflow-first path as the single window (createRepair, createObjection), then starts
// InboundResultWorkflow, which sends the case's result back to the channel once. The same push again (the same
// key and application) answers the case it created; a refused push changes nothing.

// inboundMaxSkew is how far a push's pushed_at may be from the platform's clock: an older push (a replay of a
// captured request) is refused.
const inboundMaxSkew = 5 * time.Minute

var (
	errInboundSignature = newError(domain.KindUnauthorized, "invalid_signature",
		"签名无效：请以渠道共享密钥对原始请求体计算 HMAC-SHA256，并在 X-Xinyong-Signature 中以 sha256=<十六进制值> 提交")
	errInboundStale = newError(domain.KindUnauthorized, "stale_push",
		fmt.Sprintf("推送时间（pushed_at）与平台时间相差超过%d分钟，请检查时钟后重新签名推送", int(inboundMaxSkew.Minutes())))
	errInboundKeyRequired = newError(domain.KindMalformed, "idempotency_key_required",
		"推送须带 Idempotency-Key 请求头（同一申请每次重试使用同一幂等键）")
	errInboundUnknownRecord = newError(domain.KindNotFound, "unknown_record", "未找到该企业的这条信用信息（请核对统一社会信用代码和决定文书号）")
)

// inboundBody is a pushed application: a repair application (信用修复) or an objection (异议, with grounds).
type inboundBody struct {
	PushedAt string `json:"pushed_at"`
	// Reference is the pushing platform's own number of the application, sent back with the result.
	Reference string `json:"reference"`
	USCC      string `json:"uscc"`
	// DecisionNo is the record's document number (文号): a penalty decision's or a listing's.
	DecisionNo string `json:"decision_no"`
	// DepartmentID narrows the record when two departments used the same number.
	DepartmentID       string `json:"department_id"`
	Grounds            string `json:"grounds"`
	CommitmentAccepted bool   `json:"commitment_accepted"`
	Statement          string `json:"statement"`
}

// inboundCaseJSON is the answer to a push: the case it created, where it stands, and the record.
type inboundCaseJSON struct {
	ChannelID string `json:"channel_id"`
	PushKey   string `json:"push_key"`
	Reference string `json:"reference,omitempty"`
	Case      struct {
		Kind        string      `json:"kind"`
		ID          int64       `json:"id"`
		Status      string      `json:"status"`
		StatusLabel string      `json:"status_label"`
		ReceivedOn  domain.Date `json:"received_on"`
	} `json:"case"`
	Record struct {
		PenaltyID  int64  `json:"penalty_id"`
		DecisionNo string `json:"decision_no"`
		USCC       string `json:"uscc"`
	} `json:"record"`
	// ResultEvent is the X-Xinyong-Event of the result the channel will receive.
	ResultEvent string `json:"result_event"`
}

// inboundRefused logs a push refused before it was authenticated or because it named nothing we know.
func (s *Server) inboundRefused(c *fiber.Ctx, why string, err *Error) error {
	s.log.Warn("inbound push refused", "channel", c.Params("channel_id"), "path", c.Path(), "reason", why,
		"remote", c.IP(), "request_id", c.GetRespHeader(fiber.HeaderXRequestID))
	return err
}

// inboundChannel authenticates a push: the channel exists, is active, has a secret, and signed the body with it.
// An unknown channel answers like a bad signature, so nobody learns which channels exist.
func (s *Server) inboundChannel(c *fiber.Ctx) (storage.Channel, error) {
	ch, err := s.db.GetChannel(c.UserContext(), c.Params("channel_id"))
	if errors.Is(err, storage.ErrNotFound) {
		return ch, s.inboundRefused(c, "unknown channel", errInboundSignature)
	}
	if err != nil {
		return ch, err
	}
	if !ch.Active || ch.Secret == "" {
		return ch, s.inboundRefused(c, "channel inactive or without secret", errInboundSignature)
	}
	if !activities.VerifySignature(ch.Secret, c.Body(), c.Get(activities.HeaderSignature)) {
		return ch, s.inboundRefused(c, "bad signature", errInboundSignature)
	}
	return ch, nil
}

// parseInbound reads an authenticated push: its key, body and time; hash is the SHA-256 of the application
// without its time, so a retry re-signed with a fresh pushed_at is recognized as the same push.
func (s *Server) parseInbound(c *fiber.Ctx) (key string, in inboundBody, pushedAt time.Time, hash []byte, err error) {
	key = strings.TrimSpace(c.Get(activities.HeaderIdempotencyKey))
	if key == "" {
		return "", in, pushedAt, nil, errInboundKeyRequired
	}
	if len(key) > 200 {
		return "", in, pushedAt, nil, invalidField("Idempotency-Key", "invalid_idempotency_key", "幂等键过长")
	}
	if err := bindJSON(c, &in); err != nil {
		return "", in, pushedAt, nil, err
	}
	pushedAt, perr := time.Parse(time.RFC3339, strings.TrimSpace(in.PushedAt))
	if perr != nil {
		return "", in, pushedAt, nil, invalidField("pushed_at", "invalid_pushed_at", "pushed_at 应为 RFC 3339 时间（如 2026-12-04T10:00:00+08:00）")
	}
	if skew := time.Since(pushedAt); skew > inboundMaxSkew || skew < -inboundMaxSkew {
		return "", in, pushedAt, nil, s.inboundRefused(c, "stale pushed_at", errInboundStale)
	}
	app := in
	app.PushedAt = ""
	raw, _ := json.Marshal(app)
	sum := sha256.Sum256(raw)
	return key, in, pushedAt, sum[:], nil
}

// inboundRecord finds the record a push names by the enterprise's code and the document number.
func (s *Server) inboundRecord(c *fiber.Ctx, in inboundBody) (storage.Penalty, error) {
	uscc, err := domain.NormalizeUSCC(in.USCC)
	if err != nil {
		return storage.Penalty{}, err
	}
	number := strings.TrimSpace(in.DecisionNo)
	if number == "" {
		return storage.Penalty{}, invalidField("decision_no", "decision_no_required", "请填写信用信息的决定文书号（decision_no）")
	}
	recs, err := s.db.RecordsByNumber(c.UserContext(), uscc, number, strings.TrimSpace(in.DepartmentID))
	if err != nil {
		return storage.Penalty{}, err
	}
	switch len(recs) {
	case 0:
		return storage.Penalty{}, s.inboundRefused(c, "unknown record", errInboundUnknownRecord)
	case 1:
		return recs[0], nil
	}
	return storage.Penalty{}, invalidField("department_id", "ambiguous_record", "多个部门的信用信息使用了该文书号，请同时填写认定部门（department_id）")
}

// pushedCase is the case a push created, as stored (found false while its workflow has not stored it yet).
func (s *Server) pushedCase(ctx context.Context, kind string, id int64) (inboundCaseJSON, bool, error) {
	var out inboundCaseJSON
	out.Case.Kind, out.Case.ID = kind, id
	switch kind {
	case storage.InboundRepair:
		r, err := s.db.GetRepair(ctx, id)
		if errors.Is(err, storage.ErrNotFound) {
			return out, false, nil
		}
		if err != nil {
			return out, false, err
		}
		out.Case.Status, out.Case.StatusLabel, out.Case.ReceivedOn = string(r.Status), domain.RepairStatus(r.Status).Label(), r.AppliedOn
		out.Record.PenaltyID, out.Record.DecisionNo, out.Record.USCC = r.PenaltyID, r.DecisionNoOfPenalty, r.USCC
		out.ResultEvent = activities.EventRepairResult
	default:
		o, err := s.db.GetObjection(ctx, id)
		if errors.Is(err, storage.ErrNotFound) {
			return out, false, nil
		}
		if err != nil {
			return out, false, err
		}
		out.Case.Status, out.Case.StatusLabel, out.Case.ReceivedOn = string(o.Status), o.Status.Label(), o.FiledOn
		out.Record.PenaltyID, out.Record.DecisionNo, out.Record.USCC = o.PenaltyID, o.DecisionNo, o.USCC
		out.ResultEvent = activities.EventObjectionResult
	}
	return out, true, nil
}

// startInboundResult starts (or joins) the workflow that sends the case's result back to the channel.
func (s *Server) startInboundResult(ctx context.Context, kind string, id int64) error {
	if err := s.cases.available(); err != nil {
		return err
	}
	_, err := s.temporal.ExecuteWorkflow(ctx, workflows.InboundResultStartOptions(kind, id), workflows.InboundResultWorkflow,
		workflows.InboundResultParams{Kind: kind, CaseID: id})
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &already) { // one that already sent the result is not run again
		return fmt.Errorf("start inbound result of %s %d: %w", kind, id, err)
	}
	return nil
}

// answerPushed answers a push with its case (201 the first time, 200 with Idempotent-Replayed for the same push
// again), once the result's workflow runs.
func (s *Server) answerPushed(c *fiber.Ctx, ch storage.Channel, push storage.InboundPush, created bool) error {
	ctx := c.UserContext()
	out, found, err := s.pushedCase(ctx, push.CaseKind, push.CaseID)
	if err != nil {
		return err
	}
	if !found {
		return errWorkflowTimeout
	}
	if err := s.startInboundResult(ctx, push.CaseKind, push.CaseID); err != nil {
		return err
	}
	out.ChannelID, out.PushKey, out.Reference = ch.ID, push.PushKey, push.ExternalRef
	status := fiber.StatusCreated
	if !created {
		status = fiber.StatusOK
		c.Set("Idempotent-Replayed", "true")
	}
	return c.Status(status).JSON(out)
}

// inboundRepair is POST /api/v1/inbound/{channel_id}/repairs.
func (s *Server) inboundRepair(c *fiber.Ctx) error {
	return s.inbound(c, storage.InboundRepair)
}

// inboundObjection is POST /api/v1/inbound/{channel_id}/objections.
func (s *Server) inboundObjection(c *fiber.Ctx) error {
	return s.inbound(c, storage.InboundObjection)
}

// inbound authenticates and parses a push, answers a known push with its case, and otherwise validates the
// application as the single window does, claims the key and creates the case workflow-first.
func (s *Server) inbound(c *fiber.Ctx, kind string) error {
	ctx := c.UserContext()
	ch, err := s.inboundChannel(c)
	if err != nil {
		return err
	}
	key, in, pushedAt, hash, err := s.parseInbound(c)
	if err != nil {
		return err
	}
	// The same push again: answered with its case, nothing done twice.
	claimed := false
	prev, err := s.db.InboundPushByKey(ctx, ch.ID, key)
	switch {
	case err == nil:
		if prev.CaseKind != kind || !bytes.Equal(prev.BodySHA256, hash) {
			return errIdempotencyReuse
		}
		if _, found, err := s.pushedCase(ctx, kind, prev.CaseID); err != nil || found {
			if err != nil {
				return err
			}
			return s.answerPushed(c, ch, prev, false)
		}
		claimed = true // an earlier attempt claimed the key but its case is not stored yet
	case !errors.Is(err, storage.ErrNotFound):
		return err
	}
	pen, err := s.inboundRecord(c, in)
	if err != nil {
		return err
	}
	build, err := s.inboundApplication(c, kind, ch, pen, in)
	if err != nil {
		return err
	}
	if err := s.cases.available(); err != nil {
		return err
	}
	var push storage.InboundPush
	if !claimed {
		id, err := s.reserveCaseID(ctx, kind)
		if err != nil {
			return err
		}
		p, created, err := s.db.ClaimInboundPush(ctx, storage.InboundPush{ChannelID: ch.ID, PushKey: key, CaseKind: kind,
			CaseID: id, BodySHA256: hash, PushedAt: pushedAt, ExternalRef: strings.TrimSpace(in.Reference)})
		if err != nil {
			return err
		}
		if !created { // a concurrent attempt of the same push claimed it first
			if p.CaseKind != kind || !bytes.Equal(p.BodySHA256, hash) {
				return errIdempotencyReuse
			}
			return s.answerPushed(c, ch, p, false)
		}
		push = p
	} else {
		push = prev
	}
	if err := build(ctx, push.CaseID); err != nil {
		if e, _ := toAPIError(err); e != nil && statusOf(e) < 500 {
			// Refused by the case's workflow: the push changes nothing.
			if ferr := s.db.ForgetInboundPush(ctx, push.ID); ferr != nil {
				s.log.Error("forgetting a refused push failed", "push", push.ID, "err", ferr)
			}
		}
		return err
	}
	s.log.Info("inbound push accepted", "channel", ch.ID, "key", key, "kind", kind, "case", push.CaseID)
	return s.answerPushed(c, ch, push, true)
}

// reserveCaseID reserves the id of a new case of the kind.
func (s *Server) reserveCaseID(ctx context.Context, kind string) (int64, error) {
	if kind == storage.InboundRepair {
		return s.db.ReserveRepairID(ctx)
	}
	return s.db.ReserveObjectionID(ctx)
}

// inboundApplication checks a pushed application against the rules the single window applies and answers how
// to create its case under a reserved id. The applicant is the record's enterprise; the channel is named as the
// one that received the application (applicant "channel:<id>").
func (s *Server) inboundApplication(c *fiber.Ctx, kind string, ch storage.Channel, pen storage.Penalty, in inboundBody) (func(context.Context, int64) error, error) {
	ctx := c.UserContext()
	via := "channel:" + ch.ID
	today := domain.Today()
	if !in.CommitmentAccepted {
		return nil, invalidField("commitment_accepted", "commitment_required", "申请须经申请人签署信用承诺书（commitment_accepted 为 true）")
	}
	if kind == storage.InboundRepair {
		if strings.TrimSpace(in.Grounds) != "" {
			return nil, invalidField("grounds", "grounds_not_allowed", "信用修复申请不填写异议理由（grounds）")
		}
		statement, err := printableText("statement", "申请说明", in.Statement, caseMaxText)
		if err != nil {
			return nil, err
		}
		e, err := s.eligibility(ctx, pen, today)
		if err != nil {
			return nil, err
		}
		if e.refusal != nil {
			return nil, e.refusal
		}
		remote := c.IP()
		return func(ctx context.Context, id int64) error {
			return s.createRepair(ctx, activities.RepairApplication{
				RepairID: id, PenaltyID: pen.ID, USCC: pen.USCC, DepartmentID: pen.DepartmentID, RuleSet: e.RuleSet, AppliedOn: today,
				Statement: statement, ApplicantLogin: via, ApplicantRole: string(domain.RoleEnterprise), CommitmentAcceptedAt: time.Now(),
				CommitmentRemoteAddr: remote,
			})
		}, nil
	}
	grounds := strings.TrimSpace(in.Grounds)
	if !slices.Contains(domain.AllObjectionGrounds, domain.ObjectionGrounds(grounds)) || grounds == string(domain.GroundsAgainstRefusal) {
		return nil, invalidField("grounds", "invalid_grounds", "异议理由 grounds 应为 not_mine、wrong_content、duplicate、should_not_publish、overdue_publication、inconsistent 之一")
	}
	switch pen.Status {
	case domain.PenaltyWithdrawing, domain.PenaltyWithdrawn, domain.PenaltyRevoked:
		return nil, newError(domain.KindConflict, "record_withdrawn", "该信用信息已撤下或正在撤下公示（或决定已撤销），无需提出异议").With(
			map[string]any{"status": pen.Status})
	}
	statement, err := printableText("statement", "异议说明", in.Statement, caseMaxText)
	if err != nil {
		return nil, err
	}
	if statement == "" {
		return nil, invalidField("statement", "statement_required", "请说明异议的事实和理由")
	}
	dept, sets, err := s.departmentRules(ctx, pen.DepartmentID)
	if err != nil {
		return nil, err
	}
	rs, err := domain.ProcedureRuleSet(sets, dept.Jurisdiction, dept.Sector, today)
	if err != nil {
		return nil, fmt.Errorf("rule set for objection: %w", err)
	}
	open, err := s.db.OpenObjectionOf(ctx, pen.ID, pen.USCC, 0)
	if err != nil {
		return nil, err
	}
	if open != 0 {
		return nil, objectionOpenError(open)
	}
	remote := c.IP()
	return func(ctx context.Context, id int64) error {
		return s.createObjection(ctx, activities.ObjectionFiling{
			ObjectionID: id, PenaltyID: pen.ID, USCC: pen.USCC, DepartmentID: pen.DepartmentID,
			Grounds: domain.ObjectionGrounds(grounds), Statement: statement, RuleSet: rs.ID, FiledOn: today, FiledBy: via,
			FiledByRole: string(domain.RoleEnterprise), CommitmentAcceptedAt: time.Now(), CommitmentRemoteAddr: remote,
		})
	}, nil
}
