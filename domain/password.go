package domain

import (
	"strings"
	"unicode/utf8"
)

// MinPasswordLength is the shortest password an account may have.
const MinPasswordLength = 10

// PasswordPolicy is the rule shown next to every password field.
const PasswordPolicy = "密码至少10位，不能与用户名相同或包含用户名，不能使用常见弱密码（如连续的数字或字母、键盘上相邻的一串按键、常见英文单词加数字）。"

// commonPasswords are passwords that guessing tools try first; the list holds the common ones of length ≥ 10
// (shorter ones fail the length rule anyway), compared case-insensitively.
var commonPasswords = map[string]bool{}

func init() {
	for _, p := range strings.Fields(`
		1234567890 0123456789 12345678910 123456789a a123456789 1234567890a 123456789abc abc123456789
		1qaz2wsx3edc 1q2w3e4r5t 1q2w3e4r5t6y qwertyuiop qwertyuiop123 asdfghjkl1 zxcvbnm123 qwerty1234
		qwerty123456 password12 password123 password1234 passw0rd123 p@ssw0rd123 p@ssword123 iloveyou12
		1111111111 0000000000 8888888888 6666666666 5201314520 woaini1314 woaini520 aa123456789
		abcd123456 abcd1234567 admin12345 admin123456 administrator root123456 welcome123 welcome1234
		changeme123 letmein123 xinyong123 xinyong1234 xinyong12345 demo123456 test123456 12345qwert
		a1b2c3d4e5 qazwsxedc123 qazwsxedcr 147258369a 1472583690 9876543210 zaq12wsxcde
	`) {
		commonPasswords[p] = true
	}
}

// CheckPassword applies the password policy; the error explains the rule in Chinese.
func CheckPassword(login, password string) error {
	bad := func(code, msg string) error {
		return &InputError{Field: "password", Code: code, Message: msg + "。" + PasswordPolicy}
	}
	lower := strings.ToLower(password)
	switch {
	case utf8.RuneCountInString(password) < MinPasswordLength:
		return bad("password_too_short", "密码太短")
	case len(password) > 200:
		return bad("password_too_long", "密码过长（不超过200个字符）")
	case strings.TrimSpace(login) != "" && strings.Contains(lower, strings.ToLower(strings.TrimSpace(login))):
		return bad("password_contains_login", "密码不能与用户名相同或包含用户名")
	case commonPasswords[lower] || sameCharacter(password):
		return bad("password_too_common", "该密码过于常见，容易被猜中")
	}
	return nil
}

func sameCharacter(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return strings.Trim(s, string(r)) == ""
}
