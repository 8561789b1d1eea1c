package httpapi

import (
	"context"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"xinyong/domain"
)

// A channel's queue with the record content it needs to publish or withdraw (issue 15): the decision, the
// enterprise, facts, basis, penalty, dates and, for a withdrawal, the 告知函 with its verification code. Nothing
// else of the case (materials, other letters, the history) is shown.

type queueRecordJSON struct {
	PenaltyID       int64    `json:"penalty_id"`
	DecisionNo      string   `json:"decision_no"`
	EnterpriseName  string   `json:"enterprise_name"`
	USCC            string   `json:"uscc"`
	DepartmentName  string   `json:"department_name,omitempty"`
	DecidedOn       string   `json:"decided_on"`
	PenaltyTypes    []string `json:"penalty_types"`
	FineAmountYuan  string   `json:"fine_amount_yuan,omitempty"`
	Facts           string   `json:"facts"`
	LegalBasis      string   `json:"legal_basis"`
	PublicationEnds string   `json:"publication_ends"`
}

type queueLetterJSON struct {
	ID         int64  `json:"id"`
	Title      string `json:"title"`
	Number     string `json:"number"`
	VerifyCode string `json:"verify_code"`
	VerifyURL  string `json:"verify_url"`
}

type queueItemJSON struct {
	Action       string           `json:"action"` // publish or withdraw
	Status       string           `json:"status"`
	DueOn        string           `json:"due_on,omitempty"`
	WithdrawalID int64            `json:"withdrawal_id,omitempty"`
	Cause        string           `json:"cause,omitempty"`
	Record       queueRecordJSON  `json:"record"`
	Letter       *queueLetterJSON `json:"letter,omitempty"`
}

func (s *Server) channelQueueAPI(c *fiber.Ctx) error {
	p := principalOf(c)
	id := c.Params("id")
	if p.Role == domain.RoleChannelOperator && id != p.ChannelID.String {
		return errNotFound // another channel's queue: an operator sees only its own
	}
	if _, err := s.db.GetChannel(c.UserContext(), id); err != nil {
		return err
	}
	items, err := s.queueItems(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(channelQueueJSON{ChannelID: id, Items: items})
}

// queueItems are a channel's publications to confirm and withdrawals to carry out, with their records.
func (s *Server) queueItems(ctx context.Context, id string) ([]queueItemJSON, error) {
	record := func(penaltyID int64, dept string) (queueRecordJSON, error) {
		pen, err := s.db.GetPenalty(ctx, penaltyID)
		if err != nil {
			return queueRecordJSON{}, err
		}
		return queueRecordJSON{PenaltyID: pen.ID, DecisionNo: pen.DecisionNo, EnterpriseName: pen.EnterpriseName, USCC: pen.USCC,
			DepartmentName: dept, DecidedOn: pen.DecidedOn.String(), PenaltyTypes: pen.PenaltyTypes, FineAmountYuan: pen.FineAmountYuan,
			Facts: pen.Facts, LegalBasis: pen.LegalBasis, PublicationEnds: pen.PublicationEnds.String()}, nil
	}
	items := []queueItemJSON{}
	pubs, err := s.db.PublicationQueue(ctx, id, 200)
	if err != nil {
		return nil, err
	}
	for _, q := range pubs {
		r, err := record(q.PenaltyID, q.DepartmentName)
		if err != nil {
			return nil, err
		}
		item := queueItemJSON{Action: "publish", Status: q.Status, Record: r}
		if q.DueOn != nil {
			item.DueOn = q.DueOn.String()
		}
		items = append(items, item)
	}
	ws, err := s.db.ChannelQueue(ctx, id, 200)
	if err != nil {
		return nil, err
	}
	for _, q := range ws {
		r, err := record(q.PenaltyID, "")
		if err != nil {
			return nil, err
		}
		item := queueItemJSON{Action: "withdraw", Status: string(q.Status), DueOn: q.DueOn.String(), WithdrawalID: q.WithdrawalID,
			Cause: domain.WithdrawalCause(q.Cause).Label(), Record: r}
		ls, err := s.db.LettersOf(ctx, "withdrawal", strconv.FormatInt(q.WithdrawalID, 10))
		if err != nil {
			return nil, err
		}
		for _, l := range ls {
			if !l.SupersededBy.Valid {
				item.Letter = &queueLetterJSON{ID: l.ID, Title: l.Title, Number: l.Number, VerifyCode: l.VerifyCode,
					VerifyURL: strings.TrimRight(s.cfg.BaseURL, "/") + "/verify/" + l.VerifyCode}
			}
		}
		items = append(items, item)
	}
	return items, nil
}

// channelRecordPage is the operator's record page: what the channel publishes or withdraws for one record in its
// queue; a record that is not in the operator's queue is 404.
func (s *Server) channelRecordPage(c *fiber.Ctx) error {
	p := principalOf(c)
	penaltyID, err := strconv.ParseInt(c.Params("penalty_id"), 10, 64)
	if err != nil {
		return errNotFound
	}
	items, err := s.queueItems(c.UserContext(), p.ChannelID.String)
	if err != nil {
		return err
	}
	var mine []queueItemJSON
	for _, it := range items {
		if it.Record.PenaltyID == penaltyID {
			mine = append(mine, it)
		}
	}
	if len(mine) == 0 {
		return errNotFound
	}
	return s.page(c, "channel_record", pageData{Title: "公示记录内容", Data: map[string]any{"Record": mine[0].Record, "Items": mine, "TypesLabel": typesLabel}})
}

var queueReaders = []domain.Role{domain.RoleChannelOperator, domain.RoleCreditOffice, domain.RoleAdmin}

// channelQueueJSON is a channel's queue of records to show, withdraw or mark.
type channelQueueJSON struct {
	ChannelID string          `json:"channel_id"`
	Items     []queueItemJSON `json:"items"`
}
