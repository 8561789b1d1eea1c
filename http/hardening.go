package httpapi

import (
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"

	"xinyong/domain"
	"xinyong/storage"
)

// clientIPHeader carries the client address the hardening middleware derived from a trusted proxy's
// X-Forwarded-For; Fiber's c.IP() reads it (Config.ProxyHeader) only for requests from a trusted proxy, and the
// middleware always overwrites whatever a caller sent under that name.
const clientIPHeader = "X-Xinyong-Client-Ip"

// Defaults of the hardening settings (see SECURITY.md).
const (
	defaultUploadQuotaBytes   = 200 << 20 // per user and rolling 24 hours
	defaultLoginRatePerMinute = 20        // POST /login per client address
	defaultAnonRatePerMinute  = 300       // every other unauthenticated request per client address (not /static)
	hstsValue                 = "max-age=31536000; includeSubDomains"
)

// hardeningState is the per-server state of the hardening middleware.
type hardeningState struct {
	trusted      []netip.Prefix
	loginLimiter fiber.Handler
	anonLimiter  fiber.Handler
	nextOnce     sync.Once
	pagePrefixes map[string]bool
}

func parseTrustedProxies(list []string) []netip.Prefix {
	var out []netip.Prefix
	for _, item := range list {
		item = strings.TrimSpace(item)
		if pfx, err := netip.ParsePrefix(item); err == nil {
			out = append(out, pfx.Masked())
		} else if ip, err := netip.ParseAddr(item); err == nil {
			out = append(out, netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()))
		}
	}
	return out
}

func (s *Server) setupHardening() {
	if s.cfg.UploadQuotaBytes == 0 {
		s.cfg.UploadQuotaBytes = defaultUploadQuotaBytes
	}
	if s.cfg.LoginRatePerMinute == 0 {
		s.cfg.LoginRatePerMinute = defaultLoginRatePerMinute
	}
	if s.cfg.AnonRatePerMinute == 0 {
		s.cfg.AnonRatePerMinute = defaultAnonRatePerMinute
	}
	if s.cfg.LoginLimits.PerSource == 0 {
		s.cfg.LoginLimits = storage.DefaultLoginLimits
	}
	if s.cfg.TokenTTL == 0 {
		s.cfg.TokenTTL = storage.DefaultTokenTTL
	}
	s.trusted = parseTrustedProxies(s.cfg.TrustedProxies)
	tooMany := func(c *fiber.Ctx) error {
		return newError(domain.KindRateLimited, "too_many_requests", "请求过于频繁，请稍后再试")
	}
	// The limiters count per client address (c.IP(), which honours only trusted proxies); their counters live
	// in this process, so M serve processes admit up to M times the rate.
	s.loginLimiter = limiter.New(limiter.Config{Max: s.cfg.LoginRatePerMinute, Expiration: time.Minute, LimitReached: tooMany})
	s.anonLimiter = limiter.New(limiter.Config{Max: s.cfg.AnonRatePerMinute, Expiration: time.Minute, LimitReached: tooMany})
}

func (s *Server) isTrustedProxy(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, p := range s.trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// forwardedClient is the client address of a request relayed by trusted proxies: the right-most X-Forwarded-For
// entry that is not itself a trusted proxy (entries further left are whatever the client chose to send).
func (s *Server) forwardedClient(xff string, remote netip.Addr) netip.Addr {
	parts := strings.Split(xff, ",")
	client := remote
	for i := len(parts) - 1; i >= 0; i-- {
		ip, err := netip.ParseAddr(strings.TrimSpace(parts[i]))
		if err != nil {
			return client
		}
		client = ip.Unmap()
		if !s.isTrustedProxy(client) {
			return client
		}
	}
	return client
}

// hardening runs first on every request: it refuses compressed bodies before anything could inflate them, fixes
// the client address behind trusted proxies, and sets the caching and transport-security headers.
func (s *Server) hardening(c *fiber.Ctx) error {
	// Fiber's c.Body() (and fasthttp's multipart parser) would inflate gzip, deflate, br or zstd bodies in memory
	// with no bound: a few hundred KB of gzip become gigabytes. No client of this API needs compressed uploads.
	if ce := strings.TrimSpace(c.Get(fiber.HeaderContentEncoding)); ce != "" && !strings.EqualFold(ce, "identity") {
		return errCompressedBody
	}
	c.Request().Header.Del(clientIPHeader)
	if remote, ok := netip.AddrFromSlice(c.Context().RemoteIP()); ok && s.isTrustedProxy(remote) {
		if xff := c.Get(fiber.HeaderXForwardedFor); xff != "" {
			c.Request().Header.Set(clientIPHeader, s.forwardedClient(xff, remote.Unmap()).String())
		} else {
			c.Request().Header.Set(clientIPHeader, remote.Unmap().String())
		}
	}
	if !strings.HasPrefix(c.Path(), "/static/") {
		// API answers, letters, attachments and pages carry personal data: no shared or browser cache keeps them.
		c.Set(fiber.HeaderCacheControl, "no-store")
	}
	if c.Protocol() == "https" { // TLS here, or X-Forwarded-Proto from a trusted proxy
		c.Set(fiber.HeaderStrictTransportSecurity, hstsValue)
	}
	return c.Next()
}

var errCompressedBody = newError(domain.KindUnsupportedMedia, "compressed_body_not_accepted", "不接受压缩的请求体（Content-Encoding），请发送未压缩的内容")

// rateLimitAnonymous limits unauthenticated requests per client address; it runs after authenticate. Static files
// and /verify (which has its own limiter) are not counted; POST /login has a tighter limit of its own.
func (s *Server) rateLimitAnonymous(c *fiber.Ctx) error {
	if principalOf(c) != nil {
		return c.Next()
	}
	path := c.Path()
	switch {
	case strings.HasPrefix(path, "/static/") || strings.HasPrefix(path, "/verify/") || path == "/healthz" || path == "/readyz" ||
		(path == "/status" && c.Method() == fiber.MethodPost): // the lookup has its own limiter
		return c.Next()
	case path == "/login" && c.Method() == fiber.MethodPost:
		return s.loginLimiter(c)
	}
	return s.anonLimiter(c)
}

// checkUploadQuota refuses an upload that would take the user past the quota of the last 24 hours.
func (s *Server) checkUploadQuota(c *fiber.Ctx, userID int64, adding int) error {
	used, err := s.db.UploadedBytesSince(c.UserContext(), userID, time.Now().Add(-24*time.Hour))
	if err != nil {
		return err
	}
	if used+int64(adding) > s.cfg.UploadQuotaBytes {
		return newError(domain.KindTooLarge, "upload_quota_exceeded", "24小时内上传的材料已超过限额，请稍后再试或联系信用办").
			With(map[string]any{"quota_bytes": s.cfg.UploadQuotaBytes, "used_bytes": used})
	}
	return nil
}

// safeNext keeps redirects after login on this site's own pages: a single leading '/', no '//' or '\' and no
// control or space characters (also after one more round of percent-decoding, since browsers normalize
// "/%09/evil.com" to "//evil.com"), and a first path segment that is a mounted page.
func (s *Server) safeNext(next string) string {
	if next == "" || next == "/" {
		return "/"
	}
	decoded, err := url.PathUnescape(next)
	if err != nil {
		return "/"
	}
	for _, v := range []string{next, decoded} {
		if !strings.HasPrefix(v, "/") || strings.HasPrefix(v, "//") || strings.Contains(v, "\\") || strings.Contains(v, "//") {
			return "/"
		}
		if strings.IndexFunc(v, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) || r == unicode.ReplacementChar }) >= 0 {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	first, _, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	if !s.pagePrefixSet()[first] {
		return "/"
	}
	return u.RequestURI()
}

// pagePrefixSet is the first path segments of the mounted pages (GET routes that are not API, assets or login).
func (s *Server) pagePrefixSet() map[string]bool {
	s.nextOnce.Do(func() {
		s.pagePrefixes = map[string]bool{}
		for _, r := range s.app.GetRoutes(true) {
			if r.Method != fiber.MethodGet {
				continue
			}
			first, _, _ := strings.Cut(strings.TrimPrefix(r.Path, "/"), "/")
			switch {
			case first == "" || strings.HasPrefix(first, ":") || strings.ContainsAny(first, "*?"):
			case first == "api" || first == "static" || first == "login" || first == "logout" || first == "healthz" || first == "readyz":
			default:
				s.pagePrefixes[first] = true
			}
		}
	})
	return s.pagePrefixes
}

// checkChannelEndpoint refuses, when a channel is saved, an endpoint whose host is or resolves to a loopback,
// private, link-local, CGNAT, multicast, unspecified or metadata address, unless the deployment allowed it
// (XINYONG_CHANNEL_ALLOW_HOSTS). The webhook dialer checks again at every connection (activities/webhook.go).
func (s *Server) checkChannelEndpoint(c *fiber.Ctx, ch storage.Channel) error {
	if ch.EndpointURL == "" {
		return nil
	}
	if err := s.cfg.ChannelEgress.CheckURL(c.UserContext(), nil, ch.EndpointURL); err != nil {
		return invalidField("endpoint_url", "endpoint_not_allowed", "接口地址指向本机、内部网络或云元数据地址（或无法解析），不允许使用；如确属本单位内部渠道，请由部署方在 XINYONG_CHANNEL_ALLOW_HOSTS 中放行")
	}
	return nil
}
