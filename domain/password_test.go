package domain

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCheckPassword(t *testing.T) {
	for _, tc := range []struct {
		login, password, code string
	}{
		{"zhang", "short1", "password_too_short"},
		{"zhang", "十个汉字的密码可以用", ""},
		{"zhangsan01", "zhangsan01!", "password_contains_login"},
		{"zhangsan01", "xxZHANGSAN01yy", "password_contains_login"},
		{"zhang", "Password123", "password_too_common"},
		{"zhang", "aaaaaaaaaaaa", "password_too_common"},
		{"zhang", "铁马冰河入梦来2026", ""},
		{"zhang", "correct-horse-battery", ""},
	} {
		err := CheckPassword(tc.login, tc.password)
		if tc.code == "" {
			require.NoError(t, err, tc.password)
			continue
		}
		var ie *InputError
		require.True(t, errors.As(err, &ie), tc.password)
		require.Equal(t, tc.code, ie.Code, tc.password)
		require.Contains(t, ie.Message, "至少10位")
	}
}
