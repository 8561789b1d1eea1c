package templates

import (
	"database/sql"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestBeijingTimeAndFileSize(t *testing.T) {
	utc := time.Date(2026, 6, 1, 17, 30, 0, 0, time.UTC)
	assert.Equal(t, "2026-06-02 01:30", BeijingTime(utc), "UTC evening is the next Beijing morning")
	assert.Equal(t, "2026-06-02 01:30", BeijingTime(&utc))
	assert.Equal(t, "2026-06-02 01:30", BeijingTime(sql.NullTime{Time: utc, Valid: true}))
	assert.Equal(t, "", BeijingTime(time.Time{}))
	assert.Equal(t, "", BeijingTime((*time.Time)(nil)))
	assert.Equal(t, "860 字节", FileSize(860))
	assert.Equal(t, "12.5 KB", FileSize(int64(12800)))
	assert.Equal(t, "3 MB", FileSize(3<<20))
}
