package obs

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSaneRequestID(t *testing.T) {
	for id, ok := range map[string]bool{
		"gw-4711": true, "0f3a9c2e1b7d4a65": true, "a/b:c.d_e": true,
		"": false, "with space": false, "quote\"": false, "back\\slash": false, "新": false, "line\nbreak": false,
		strings.Repeat("x", 128): true, strings.Repeat("x", 129): false,
	} {
		assert.Equal(t, ok, SaneRequestID(id), "%q", id)
	}
	assert.Regexp(t, `^[0-9a-f]{16}$`, NewRequestID())
	assert.NotEqual(t, NewRequestID(), NewRequestID())
}

// TestLoggerAddsRequestID: LOG_FORMAT=json writes JSON lines, and a line logged with a request's context carries
// its id while one without a context does not invent one.
func TestLoggerAddsRequestID(t *testing.T) {
	t.Setenv("LOG_FORMAT", "json")
	var buf bytes.Buffer
	log := NewLoggerAt(&buf, slog.LevelInfo).With("component", "test")
	log.InfoContext(WithRequestID(context.Background(), "req-1"), "with")
	log.Info("without")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 2)
	var a, b map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &a))
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &b))
	assert.Equal(t, "req-1", a["request_id"])
	assert.Equal(t, "test", a["component"])
	assert.NotContains(t, b, "request_id")

	t.Setenv("LOG_FORMAT", "")
	buf.Reset()
	NewLoggerAt(&buf, slog.LevelInfo).InfoContext(WithRequestID(context.Background(), "req-2"), "text")
	assert.Contains(t, buf.String(), "request_id=req-2")
	assert.False(t, json.Valid(buf.Bytes()), "text is the default")
}

func TestStatusCode(t *testing.T) {
	assert.Equal(t, "200", statusCode(200))
	assert.Equal(t, "503", statusCode(503))
	assert.Equal(t, "000", statusCode(0))
}
