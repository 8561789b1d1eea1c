package activities

import (
	"context"

	"xinyong/activities/contract"
	"xinyong/storage"
)

// FraudRecordInput is the fraud record a repair case publishes when the department refuses for fraud.
type FraudRecordInput = contract.FraudRecordInput

// CreateFraudRecord stores the fraud record once per repair case and returns its id.
func (a *Activities) CreateFraudRecord(ctx context.Context, in FraudRecordInput) (int64, error) {
	return a.DB.PutFraudRecord(ctx, storage.FraudRecord{
		RepairID: in.RepairID, RestsOn: in.RestsOn, DepartmentID: in.DepartmentID, Number: in.Number, USCC: in.USCC,
		EnterpriseName: in.EnterpriseName, FoundOn: in.FoundOn, PublishDue: in.PublishDue,
		PublicationEnds: in.PublicationEnds, Facts: in.Facts, RuleSet: in.RuleSet, CreatedBy: in.Actor,
	})
}
