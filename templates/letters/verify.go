package letters

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// verifyAlphabet has no characters that are easily confused when read aloud or retyped
// (no 0/O, 1/I/L, 2/Z, 5/S, 8/B, U/V).
const verifyAlphabet = "34679ACDEFGHJKMNPQRTWXY"

// NewVerifyCode returns a random verification code of 12 characters in groups of four, like
// "AC3D-EF4G-HJKM". 23^12 ≈ 2^54 codes make guessing a valid one impractical.
func NewVerifyCode() string {
	var b strings.Builder
	b.Grow(14)
	for i := range 12 {
		if i > 0 && i%4 == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(verifyAlphabet[randIndex(len(verifyAlphabet))])
	}
	return b.String()
}

// randIndex returns a uniform random index below n by rejection sampling (no modulo bias).
func randIndex(n int) int {
	limit := 256 - 256%n
	var buf [1]byte
	for {
		if _, err := rand.Read(buf[:]); err != nil {
			// crypto/rand.Read never fails on supported platforms (Go 1.24+ crashes instead).
			panic(err)
		}
		if int(buf[0]) < limit {
			return int(buf[0]) % n
		}
	}
}

// NormalizeVerifyCode turns what a person typed ("ac3d ef4g hjkm") into the canonical form, or returns
// "" when it cannot be a verification code.
func NormalizeVerifyCode(s string) string {
	var b strings.Builder
	for _, c := range strings.ToUpper(s) {
		switch {
		case c == '-' || c == ' ':
		case strings.ContainsRune(verifyAlphabet, c):
			if b.Len() == 4 || b.Len() == 9 {
				b.WriteByte('-')
			}
			b.WriteRune(c)
		default:
			return ""
		}
	}
	if b.Len() != 14 {
		return ""
	}
	return b.String()
}

// SHA256Hex returns the lowercase hexadecimal SHA-256 of b, the digest stored with every letter.
func SHA256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
