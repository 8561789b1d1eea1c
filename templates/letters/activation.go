package letters

import "time"

// KindActivationCode is the short letter the credit office's window prints when it gives an enterprise a new
// activation code for its online account (the first one is printed on the 信用修复告知书).
const KindActivationCode Kind = "activation_code" // 企业账号激活通知书

// ActivationCodeData is the content of a 企业账号激活通知书. The code is printed, never stored: only its hash is
// kept, with the letter.
type ActivationCodeData struct {
	Issue
	EnterpriseName    string
	USCC              string
	ActivationCode    string
	ActivationURL     string
	ActivationExpires time.Time
	Contact           string
}

// scanCode opens the activation page with the USCC and the code filled in.
func (d ActivationCodeData) scanCode() *ScanCode {
	return activationScan(d.ActivationURL, d.ActivationCode)
}

// ActivationCode builds the 企业账号激活通知书.
func ActivationCode(d ActivationCodeData) Letter { return mustBuild(KindActivationCode, d) }
