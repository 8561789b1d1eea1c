package domain

// PenaltyCorrection is what a correction changes; nil fields keep their value. The decision date (which the
// publication periods run from) and the enterprise's code (which names whose record it is) are never corrected
// here: such a record is withdrawn and registered again.
type PenaltyCorrection struct {
	DecisionNo     *string  `json:"decision_no,omitempty"`
	EnterpriseName *string  `json:"enterprise_name,omitempty"`
	PenaltyTypes   []string `json:"penalty_types,omitempty"`
	FineAmountYuan *string  `json:"fine_amount_yuan,omitempty"`
	Facts          *string  `json:"facts,omitempty"`
	LegalBasis     *string  `json:"legal_basis,omitempty"`
}

// Empty reports whether the correction changes nothing.
func (c PenaltyCorrection) Empty() bool {
	return c.DecisionNo == nil && c.EnterpriseName == nil && c.PenaltyTypes == nil && c.FineAmountYuan == nil &&
		c.Facts == nil && c.LegalBasis == nil
}
