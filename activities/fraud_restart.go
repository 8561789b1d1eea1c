package activities

import (
	"context"

	"xinyong/activities/contract"
)

// RestartPeriodInput restarts a record's publication period after a fraud finding.
type RestartPeriodInput = contract.RestartPeriodInput

// RestartPublicationPeriod stores the record's new end of publication once (a later end already stored is kept).
func (a *Activities) RestartPublicationPeriod(ctx context.Context, in RestartPeriodInput) error {
	return a.DB.RestartPublicationPeriod(ctx, in.PenaltyID, in.RepairID, in.From, in.Until, in.Reason)
}
