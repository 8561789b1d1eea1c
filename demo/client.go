package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"sync"
	"time"
)

// Client calls the platform's JSON API as the demo's people: each request carries a bearer token of the demo login
// acting, and every write an Idempotency-Key, so a run that was interrupted and starts again replays what it had
// done instead of doing it twice.
type Client struct {
	// Base is the API's address (http://127.0.0.1:8080).
	Base string
	// Token issues a bearer token for a demo login.
	Token func(ctx context.Context, login string) (string, error)
	// HTTP is the client to use (nil: one with a 60-second timeout).
	HTTP *http.Client
	// Log receives progress (nil: discarded).
	Log *slog.Logger

	mu     sync.Mutex
	tokens map[string]string
}

// apiError is the API's error body.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// StatusError is an answer the demo did not expect.
type StatusError struct {
	Method, Path string
	Status       int
	Code         string
	Message      string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s %s: %d %s %s", e.Method, e.Path, e.Status, e.Code, e.Message)
}

// errorCode is the API error code of err ("" when err is not an API answer).
func errorCode(err error) string {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Code
	}
	return ""
}

func (c *Client) token(ctx context.Context, login string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tokens == nil {
		c.tokens = map[string]string{}
	}
	if t, ok := c.tokens[login]; ok {
		return t, nil
	}
	t, err := c.Token(ctx, login)
	if err != nil {
		return "", fmt.Errorf("demo: token for %s: %w", login, err)
	}
	c.tokens[login] = t
	return t, nil
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Timeout: 60 * time.Second}
}

// transient answers are tried again: the case is still being set up, a step is in flight, a rate limit, or the
// server is busy.
func transient(status int, code string) bool {
	switch {
	case status == http.StatusTooManyRequests || status >= 500:
		return true
	case status == http.StatusConflict:
		switch code {
		case "case_not_ready", "step_in_progress", "idempotency_key_in_progress":
			return true
		}
	}
	return false
}

// call sends a JSON request as login and decodes a 2xx answer into out. key, when not empty, is the write's
// Idempotency-Key. Transient answers are retried for up to waitTimeout (a loaded machine takes a while to start
// many workflows at once).
func (c *Client) call(ctx context.Context, method, path, login, key string, body, out any) error {
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return err
		}
	}
	return c.send(ctx, method, path, login, key, "application/json", raw, out)
}

func (c *Client) send(ctx context.Context, method, path, login, key, contentType string, raw []byte, out any) error {
	tok, err := c.token(ctx, login)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(waitTimeout)
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, c.Base+path, bytes.NewReader(raw))
		if err != nil {
			return err
		}
		if raw != nil {
			req.Header.Set("Content-Type", contentType)
		}
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		if key != "" {
			req.Header.Set("Idempotency-Key", "demo-"+key)
		}
		status, answer, err := c.do(req)
		if err == nil && status/100 == 2 {
			if out != nil && len(answer) > 0 {
				if err := json.Unmarshal(answer, out); err != nil {
					return fmt.Errorf("%s %s: decode: %w", method, path, err)
				}
			}
			return nil
		}
		var se *StatusError
		if err == nil {
			var ae apiError
			_ = json.Unmarshal(answer, &ae)
			se = &StatusError{Method: method, Path: path, Status: status, Code: ae.Error.Code, Message: ae.Error.Message}
			if !transient(status, ae.Error.Code) {
				return se
			}
			err = se
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(200+100*min(attempt, 10)) * time.Millisecond):
		}
	}
}

func (c *Client) do(req *http.Request) (int, []byte, error) {
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// upload posts a small PDF as login's material and returns its attachment id.
func (c *Client) upload(ctx context.Context, login, key, filename string) (int64, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, filename))
	h.Set("Content-Type", "application/pdf")
	pw, err := mw.CreatePart(h)
	if err != nil {
		return 0, err
	}
	_, _ = pw.Write(samplePDF())
	if err := mw.Close(); err != nil {
		return 0, err
	}
	var out struct {
		ID int64 `json:"id"`
	}
	if err := c.send(ctx, http.MethodPost, "/api/v1/attachments", login, key, mw.FormDataContentType(), body.Bytes(), &out); err != nil {
		return 0, err
	}
	return out.ID, nil
}

// samplePDF is a small valid PDF standing in for scanned material.
func samplePDF() []byte {
	return []byte("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
}

func (c *Client) logf(msg string, args ...any) {
	if c.Log != nil {
		c.Log.Info(msg, args...)
	}
}
