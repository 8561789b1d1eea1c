package workflows

import (
	"fmt"

	activities "xinyong/activities/contract"
	"xinyong/domain"
	"xinyong/templates/letters"
)

// reconcileListingsChange: the reconciler also starts the record workflows of list entries whose registration
// died before it started them (workflow.GetVersion).
const reconcileListingsChange = "reconcile-listings"

// ListingRecordParams is the lifecycle of a list entry as registered (POST /api/v1/listings) or as found by the
// reconciler: published by its due date; a serious listing also ends by itself at its end, ends the publication of
// the penalty it rests on when removed, and comes with its own 信用修复告知书 (两书同送).
func ListingRecordParams(l activities.ListingLifecycle) RecordParams {
	params := RecordParams{RecordID: l.RecordID, Kind: l.Kind, PublishDue: l.PublishDue}
	if l.Kind != domain.RecordKindSeriousList {
		return params
	}
	params.Until = l.Ends
	params.ExpiryDecision = fmt.Sprintf("严重失信主体名单（%s）自列入之日起满三年，于%s到期移出", l.Number, l.Ends)
	d := letters.RecordNoticeData{Issue: letters.Issue{Issuer: l.DepartmentName, Number: l.Number + "-告", Date: l.RegisteredAt.In(domain.Shanghai)},
		EnterpriseName: l.EnterpriseName, USCC: l.USCC, RecordTitle: domain.RecordKindLabel(l.Kind), RecordNo: l.Number,
		Cause: l.Facts, From: l.ListedOn.Time(domain.Shanghai), Until: l.Ends.Time(domain.Shanghai),
		EligibleFrom: l.EligibleFrom.Time(domain.Shanghai), Contact: l.DepartmentContact}
	if l.RestsOn != 0 {
		params.EndsWith = []int64{l.RestsOn}
		d.DecisionNo = l.RestsOnDecisionNo
	}
	params.Notice = &RecordNotice{Kind: letters.KindSeriousListNotice, Data: d, USCC: l.USCC, DepartmentID: l.DepartmentID}
	return params
}
