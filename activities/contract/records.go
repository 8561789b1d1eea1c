package contract

import (
	"context"

	"xinyong/domain"
)

// FraudRecordInput is the fraud record a repair case publishes when the department refuses for fraud.
type FraudRecordInput struct {
	RepairID        int64
	RestsOn         int64
	DepartmentID    string
	Number          string
	USCC            string
	EnterpriseName  string
	FoundOn         domain.Date
	PublishDue      domain.Date
	PublicationEnds domain.Date
	Facts           string
	RuleSet         string
	Actor           string
}

func (*Activities) CreateFraudRecord(ctx context.Context, in FraudRecordInput) (int64, error) { panic(notRun) }
