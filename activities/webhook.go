package activities

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"xinyong/egress"
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

// webhookClient calls a channel's system. It follows no redirects (a channel's system answers itself, and a
// redirect would carry a signed body to an address nobody configured) and its dialer checks every address it
// connects to against the egress policy, so an endpoint that resolves to loopback, a private network or the cloud
// metadata service is never reached, whatever it resolved to when it was saved.
func (a *Activities) webhookClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			DialContext:           a.Egress.DialContext(WebhookTimeout),
			TLSHandshakeTimeout:   WebhookTimeout,
			ResponseHeaderTimeout: WebhookTimeout,
			// Calls are rare; a kept-alive connection would outlive a change of the allow-list or the endpoint.
			DisableKeepAlives: true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// ErrChannelInactive is the error of a call to a channel the credit office switched off: it is retried (so the
// call resumes once the channel is active again) but nothing is sent meanwhile.
const ErrChannelInactive = "channel_inactive"

// postSigned POSTs a signed JSON body and returns the channel's reference from a 2xx answer. Its errors are short
// and safe to show to office users: the HTTP status or a reason, never the body of the channel's answer nor the
// network error (which would tell an open port from a closed one).
func (a *Activities) postSigned(ctx context.Context, channelID, endpoint, secret, key, event string, payload any) (string, error) {
	ch, err := a.DB.GetChannel(ctx, channelID)
	if err != nil {
		return "", err
	}
	if !ch.Active {
		return "", temporal.NewApplicationError("渠道已停用，暂停调用", ErrChannelInactive)
	}
	if endpoint == "" || secret == "" {
		return "", fmt.Errorf("渠道未配置接口地址或共享密钥")
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return "", fmt.Errorf("webhook body: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, WebhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("渠道接口地址无效")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "xinyong-channels/1")
	req.Header.Set(HeaderIdempotencyKey, key)
	req.Header.Set(HeaderEvent, event)
	req.Header.Set(HeaderSignature, Sign(secret, body))
	resp, err := a.webhookClient().Do(req)
	if err != nil {
		a.logWarn("webhook call failed", "channel", channelID, "event", event, "err", err)
		return "", webhookFailure(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", fmt.Errorf("渠道接口应答 HTTP %d", resp.StatusCode)
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

// webhookFailure reduces a transport error to a short reason for people.
func webhookFailure(err error) error {
	var ne net.Error
	switch {
	case errors.Is(err, egress.ErrRefused):
		return errors.New("渠道接口地址指向本机或内部网络，已拒绝连接（可由部署方在 " + egress.EnvAllowHosts + " 中放行）")
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		return errors.New("渠道接口超时未应答")
	}
	return errors.New("无法连接渠道接口")
}
