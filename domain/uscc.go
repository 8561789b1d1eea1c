package domain

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// USCCAlphabet is the character set of GB 32100-2015, in value order: I, O, Z, S and V are left out because they
// are easily confused with 1, 0, 2, 5 and U.
const USCCAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// USCCLength is the length of a unified social credit code.
const USCCLength = 18

// usccWeights are the weights of positions 1-17: 3^i mod 31.
var usccWeights = [USCCLength - 1]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// usccValue maps a byte to its value in USCCAlphabet, or -1.
var usccValue = func() [256]int {
	var v [256]int
	for i := range v {
		v[i] = -1
	}
	for i := 0; i < len(USCCAlphabet); i++ {
		v[USCCAlphabet[i]] = i
	}
	return v
}()

// USCCReason says which rule a code broke.
type USCCReason string

// The rules a code can break, in the order they are checked.
const (
	USCCReasonLength  USCCReason = "length"
	USCCReasonCharset USCCReason = "charset"
	USCCReasonCheck   USCCReason = "check"
)

// USCCError explains why a string is not a valid unified social credit code.
type USCCError struct {
	Code     string     // the input as given
	Reason   USCCReason // which rule failed
	Pos      int        // 1-based position of the offending character (charset and check)
	Char     string     // the offending character (charset and check)
	Want     byte       // the expected check character (check only); not shown to users
	Length   int        // the length in characters (length only)
	Expected int        // the expected length: 18, or 17 for the body passed to USCCCheckChar (length only)
}

// Error returns a Chinese message that tells the user what to fix.
func (e *USCCError) Error() string {
	switch e.Reason {
	case USCCReasonLength:
		if e.Expected == USCCLength-1 {
			return fmt.Sprintf("统一社会信用代码本体（前17位）应为17位，实际为%d位", e.Length)
		}
		if e.Length == 0 {
			return "统一社会信用代码不能为空"
		}
		return fmt.Sprintf("统一社会信用代码应为18位，实际为%d位", e.Length)
	case USCCReasonCharset:
		if upper := strings.ToUpper(e.Char); upper != e.Char && len(upper) == 1 && usccValue[upper[0]] >= 0 {
			return fmt.Sprintf("统一社会信用代码第%d位“%s”应使用大写字母", e.Pos, e.Char)
		}
		return fmt.Sprintf("统一社会信用代码第%d位“%s”不是有效字符（只能是数字和除I、O、Z、S、V以外的大写字母）", e.Pos, e.Char)
	default:
		// The check character catches a typo anywhere, so naming the 18th as "wrong" would mislead the user.
		return "统一社会信用代码校验不通过，请逐位核对"
	}
}

// ErrorCode returns the API error code for an invalid code.
func (e *USCCError) ErrorCode() string { return "invalid_uscc" }

// ValidateUSCC checks code against GB 32100-2015: 18 characters from USCCAlphabet whose last one is the check
// character of the first 17. It is strict: the code must already be in canonical form (upper case, no spaces), so a
// value that passes can be stored as it is. Use NormalizeUSCC for what people type.
func ValidateUSCC(code string) error {
	if _, err := usccValues(code, USCCLength); err != nil {
		return err
	}
	want, err := USCCCheckChar(code[:USCCLength-1])
	if err != nil {
		return err
	}
	if code[USCCLength-1] != want {
		return &USCCError{Code: code, Reason: USCCReasonCheck, Pos: USCCLength, Char: code[USCCLength-1:], Want: want}
	}
	return nil
}

// NormalizeUSCC trims surrounding white space and upper-cases s, then validates it; it returns the canonical code
// to store. Lower case is accepted because people copy codes from sources that print them so, and no letter of the
// alphabet becomes ambiguous in lower case.
func NormalizeUSCC(s string) (string, error) {
	code := strings.ToUpper(strings.TrimSpace(s))
	if err := ValidateUSCC(code); err != nil {
		var ue *USCCError
		if errors.As(err, &ue) {
			ue.Code = s
		}
		return "", err
	}
	return code, nil
}

// USCCCheckChar returns the check character (18th) for the first 17 characters of a code.
func USCCCheckChar(first17 string) (byte, error) {
	values, err := usccValues(first17, USCCLength-1)
	if err != nil {
		return 0, err
	}
	sum := 0
	for i, v := range values {
		sum += v * usccWeights[i]
	}
	// 31 - (sum mod 31), where 31 stands for 0: the same as (31 - sum mod 31) mod 31.
	return USCCAlphabet[(31-sum%31)%31], nil
}

// usccValues returns the alphabet values of s, which must be n characters of USCCAlphabet.
func usccValues(s string, n int) ([]int, error) {
	if count := utf8.RuneCountInString(s); count != n {
		return nil, &USCCError{Code: s, Reason: USCCReasonLength, Length: count, Expected: n}
	}
	values := make([]int, 0, n)
	pos := 0
	for _, r := range s {
		pos++
		if r >= utf8.RuneSelf || usccValue[r] < 0 {
			return nil, &USCCError{Code: s, Reason: USCCReasonCharset, Pos: pos, Char: string(r)}
		}
		values = append(values, usccValue[r])
	}
	return values, nil
}
