package activities

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// The webhook protocol of publishing channels (documented for channel implementers on the page /channels/protocol):
//
//   POST <endpoint_url>
//   Content-Type: application/json
//   Idempotency-Key: withdrawal-<withdrawal id>-<channel id>   (publication: publish-<penalty id>-<channel id>)
//   X-Xinyong-Event: withdrawal | publication
//   X-Xinyong-Signature: sha256=<lowercase hex HMAC-SHA256 of the raw body, keyed with the channel's secret>
//
// Every attempt for the same order and channel carries the same key and byte-identical body; a 2xx answer
// confirms (an optional JSON {"reference": "..."} is kept); anything else, or no answer within WebhookTimeout,
// is retried with backoff until it succeeds.

// Webhook header names.
const (
	HeaderIdempotencyKey = "Idempotency-Key"
	HeaderSignature      = "X-Xinyong-Signature"
	HeaderEvent          = "X-Xinyong-Event"
)

// WebhookTimeout bounds one call to a channel's system (a variable only so tests can make timeouts quick; it must
// stay well under the workflows' one-minute activity timeout).
var WebhookTimeout = 15 * time.Second

// Sign is the signature header value of a body: "sha256=" and the hex HMAC-SHA256 keyed with the secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// VerifySignature checks a signature header against the body in constant time.
func VerifySignature(secret string, body []byte, header string) bool {
	return hmac.Equal([]byte(Sign(secret, body)), []byte(strings.TrimSpace(header)))
}

// webhookClient has no redirects: a channel's system answers itself, and a redirect would carry a signed body to
// an address nobody configured.
var webhookClient = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	},
}

// postSigned POSTs a signed JSON body and returns the channel's reference from a 2xx answer.
func (a *Activities) postSigned(ctx context.Context, endpoint, secret, key, event string, payload any) (string, error) {
	if endpoint == "" || secret == "" {
		return "", fmt.Errorf("channel has no endpoint or secret configured")
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return "", fmt.Errorf("webhook body: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, WebhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "xinyong-channels/1")
	req.Header.Set(HeaderIdempotencyKey, key)
	req.Header.Set(HeaderEvent, event)
	req.Header.Set(HeaderSignature, Sign(secret, body))
	resp, err := webhookClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("webhook %s: %w", event, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", fmt.Errorf("webhook %s: channel answered %d: %s", event, resp.StatusCode, strings.TrimSpace(string(raw)))
	}
	var ans struct {
		Reference string `json:"reference"`
	}
	_ = json.Unmarshal(raw, &ans) // the reference is optional; any 2xx confirms
	if len(ans.Reference) > 200 {
		ans.Reference = ans.Reference[:200]
	}
	return ans.Reference, nil
}
