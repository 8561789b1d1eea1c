package letters

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNewVerifyCode(t *testing.T) {
	shape := regexp.MustCompile(`^[` + verifyAlphabet + `]{4}-[` + verifyAlphabet + `]{4}-[` + verifyAlphabet + `]{4}$`)
	seen := map[string]bool{}
	counts := map[rune]int{}
	for range 2000 {
		c := NewVerifyCode()
		assert.Regexp(t, shape, c)
		assert.False(t, seen[c], "duplicate code %s", c)
		seen[c] = true
		for _, r := range strings.ReplaceAll(c, "-", "") {
			counts[r]++
		}
	}
	// 24000 draws over 23 symbols: every symbol appears, none wildly over-represented.
	assert.Len(t, counts, len(verifyAlphabet))
	for r, n := range counts {
		assert.InDelta(t, 24000/len(verifyAlphabet), n, 300, "%c", r)
	}
	for _, confusing := range "01258BIOSZLUV" {
		assert.NotContains(t, verifyAlphabet, string(confusing))
	}
}

func TestNormalizeVerifyCode(t *testing.T) {
	assert.Equal(t, "AC3D-EF4G-HJKM", NormalizeVerifyCode("ac3d ef4g hjkm"))
	assert.Equal(t, "AC3D-EF4G-HJKM", NormalizeVerifyCode("AC3DEF4GHJKM"))
	assert.Equal(t, "AC3D-EF4G-HJKM", NormalizeVerifyCode("AC3D-EF4G-HJKM"))
	assert.Empty(t, NormalizeVerifyCode("AC3D-EF4G-HJK"))
	assert.Empty(t, NormalizeVerifyCode("AC3D-EF4G-HJKMM"))
	assert.Empty(t, NormalizeVerifyCode("AC3D-EF4G-HJK0"), "0 is not in the alphabet")
	code := NewVerifyCode()
	assert.Equal(t, code, NormalizeVerifyCode(strings.ToLower(code)))
}

func TestSHA256Hex(t *testing.T) {
	assert.Equal(t, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", SHA256Hex([]byte("abc")))
}
