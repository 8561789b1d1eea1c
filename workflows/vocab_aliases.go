package workflows

import "xinyong/domain"

// Aliases kept until http is switched to domain names; do not add new uses. Withdrawal causes and delivery methods
// are domain vocabulary; these are untyped copies (checked against domain by TestVocabAliases) so that http code
// using them with plain strings compiles.

const (
	CauseRepair     = "repair"
	CauseExpiry     = "expiry"
	CauseObjection  = "objection"
	CauseRevocation = "revocation"

	DeliveryInPerson   = "in_person"
	DeliveryPost       = "post"
	DeliveryElectronic = "electronic"
	DeliveryRefused    = "refused"
)

// CauseLabel is the Chinese name of a withdrawal cause.
func CauseLabel[T ~string](cause T) string { return domain.WithdrawalCause(cause).Label() }
