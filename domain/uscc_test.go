package domain

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidateUSCCValid(t *testing.T) {
	for _, code := range []string{
		"91350100M000100Y43", // the example of GB 32100-2015
		"914403001922038216", // Huawei Technologies Co., Ltd.
		"91110108551385082Q", // Beijing Xiaomi Technology Co., Ltd.
	} {
		assert.NoError(t, ValidateUSCC(code), code)
		got, err := NormalizeUSCC(code)
		require.NoError(t, err)
		assert.Equal(t, code, got)
	}
}

func TestValidateUSCCInvalid(t *testing.T) {
	for _, tc := range []struct {
		code   string
		reason USCCReason
		pos    int
		msg    string
	}{
		{"", USCCReasonLength, 0, "不能为空"},
		{"91350100M000100Y4", USCCReasonLength, 0, "应为18位，实际为17位"},
		{"91350100M000100Y433", USCCReasonLength, 0, "实际为19位"},
		{"91350100M000100Y4中", USCCReasonCharset, 18, "第18位“中”"},
		{"9135010OM000100Y43", USCCReasonCharset, 8, "第8位“O”不是有效字符"},
		{"91350100I000100Y43", USCCReasonCharset, 9, "第9位“I”"},
		{"91350100Z000100Y43", USCCReasonCharset, 9, "不是有效字符"},
		{"91350100S000100Y43", USCCReasonCharset, 9, "不是有效字符"},
		{"91350100V000100Y43", USCCReasonCharset, 9, "不是有效字符"},
		{"91350100m000100Y43", USCCReasonCharset, 9, "应使用大写字母"},
		{" 1350100M000100Y43", USCCReasonCharset, 1, "不是有效字符"},
		{"91350100M000100Y44", USCCReasonCheck, 18, "校验不通过"},
		{"91350100M000100Y53", USCCReasonCheck, 18, "校验不通过"},
		{"19350100M000100Y43", USCCReasonCheck, 18, "校验不通过"}, // transposition
	} {
		err := ValidateUSCC(tc.code)
		var ue *USCCError
		require.ErrorAs(t, err, &ue, tc.code)
		assert.Equal(t, tc.reason, ue.Reason, tc.code)
		assert.Equal(t, tc.pos, ue.Pos, tc.code)
		assert.Contains(t, ue.Error(), tc.msg, tc.code)
		assert.Contains(t, ue.Error(), "统一社会信用代码", tc.code)
		assert.Equal(t, "invalid_uscc", ue.ErrorCode())
	}
}

func TestNormalizeUSCC(t *testing.T) {
	got, err := NormalizeUSCC("  91350100m000100y43\t")
	require.NoError(t, err)
	assert.Equal(t, "91350100M000100Y43", got)

	_, err = NormalizeUSCC(" 91350100M000100Y44 ")
	var ue *USCCError
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, USCCReasonCheck, ue.Reason)
	assert.Equal(t, " 91350100M000100Y44 ", ue.Code, "the error names what the user typed")

	_, err = NormalizeUSCC("91350100M000 100Y43")
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, USCCReasonLength, ue.Reason)
}

func TestUSCCCheckChar(t *testing.T) {
	c, err := USCCCheckChar("91350100M000100Y4")
	require.NoError(t, err)
	assert.Equal(t, byte('3'), c)

	// A body whose weighted sum is a multiple of 31 has check character 0 (the "31 means 0" rule).
	c, err = USCCCheckChar("00000000000000000")
	require.NoError(t, err)
	assert.Equal(t, byte('0'), c)

	_, err = USCCCheckChar("91350100M000100Y43")
	var ue *USCCError
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, USCCReasonLength, ue.Reason)
	assert.Contains(t, ue.Error(), "前17位")

	_, err = USCCCheckChar("91350100M000100YO")
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, USCCReasonCharset, ue.Reason)
	assert.Equal(t, 17, ue.Pos)
}

// TestUSCCCheckCharCoversAlphabet shows that every check character is reachable, including the 31→0 case, by
// varying only the last body character: each step of 1 in its value moves the sum by its weight, 28.
func TestUSCCCheckCharCoversAlphabet(t *testing.T) {
	seen := map[byte]bool{}
	for i := 0; i < len(USCCAlphabet); i++ {
		c, err := USCCCheckChar("9132110000000000" + USCCAlphabet[i:i+1])
		require.NoError(t, err)
		seen[c] = true
	}
	assert.Len(t, seen, len(USCCAlphabet))
}

// bodyFrom maps arbitrary bytes onto a 17-character body of the alphabet, so every fuzz input exercises the
// round-trip property.
func bodyFrom(seed []byte) string {
	var b strings.Builder
	for i := 0; i < USCCLength-1; i++ {
		v := 0
		if len(seed) > 0 {
			v = int(seed[i%len(seed)]) + i*7
		}
		b.WriteByte(USCCAlphabet[v%len(USCCAlphabet)])
	}
	return b.String()
}

func FuzzValidateUSCC(f *testing.F) {
	f.Add("91350100M000100Y43", []byte("seed"))
	f.Add("", []byte{})
	f.Add("91350100m000100y43", []byte{0xff, 0x00})
	f.Add("９１３５０１００M000100Y43", []byte("中文"))
	f.Fuzz(func(t *testing.T, raw string, seed []byte) {
		// Any input: no panic, and acceptance means exactly the standard's definition.
		if err := ValidateUSCC(raw); err == nil {
			if len(raw) != USCCLength {
				t.Fatalf("accepted %q of length %d", raw, len(raw))
			}
			want, cerr := USCCCheckChar(raw[:17])
			if cerr != nil || want != raw[17] {
				t.Fatalf("accepted %q with wrong check character", raw)
			}
		} else {
			var ue *USCCError
			if !errors.As(err, &ue) {
				t.Fatalf("error of type %T for %q", err, raw)
			}
		}
		if norm, err := NormalizeUSCC(raw); err == nil {
			if ValidateUSCC(norm) != nil {
				t.Fatalf("normalized %q to invalid %q", raw, norm)
			}
		}

		// A generated code is valid, and changing any one character to any other makes it invalid.
		body := bodyFrom(append(seed, raw...))
		check, err := USCCCheckChar(body)
		if err != nil {
			t.Fatalf("check char of %q: %v", body, err)
		}
		code := body + string(check)
		if err := ValidateUSCC(code); err != nil {
			t.Fatalf("generated %q invalid: %v", code, err)
		}
		for pos := 0; pos < USCCLength; pos++ {
			for i := 0; i < len(USCCAlphabet); i++ {
				if USCCAlphabet[i] == code[pos] {
					continue
				}
				mutated := code[:pos] + USCCAlphabet[i:i+1] + code[pos+1:]
				err := ValidateUSCC(mutated)
				var ue *USCCError
				if !errors.As(err, &ue) || ue.Reason != USCCReasonCheck {
					t.Fatalf("%q (from %q, position %d changed) not rejected by the check: %v", mutated, code, pos+1, err)
				}
			}
		}
	})
}
