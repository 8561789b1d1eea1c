package contract

import (
	"context"

	"xinyong/domain"
)

// RestartPeriodInput restarts a record's publication period after a fraud finding (samr: Order 107 art. 23): it
// runs From → Until.
type RestartPeriodInput struct {
	PenaltyID int64
	RepairID  int64
	From      domain.Date
	Until     domain.Date
	Reason    string
}

func (a *Activities) RestartPublicationPeriod(ctx context.Context, in RestartPeriodInput) error {
	return a.impl.RestartPublicationPeriod(ctx, in)
}
