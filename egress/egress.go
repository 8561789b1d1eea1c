// Package egress decides which network addresses xinyong may call on behalf of its users (webhook channels), so a
// stored endpoint can never reach the platform's own services, the cloud metadata service or an internal network.
//
// Addresses are checked twice: when an endpoint is saved (its host is resolved and every address must be allowed)
// and when a connection is made (the dialer checks the very IP it connects to), so a name that resolves to a
// public address at save time and to 127.0.0.1 later (DNS rebinding) still fails.
package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// EnvAllowHosts is the environment variable that lists a deployment's internal channel hosts.
const EnvAllowHosts = "XINYONG_CHANNEL_ALLOW_HOSTS"

// Policy is the set of internal destinations a deployment allows in addition to public addresses. The zero value
// (and nil) allows public addresses only.
type Policy struct {
	hosts []string       // lower-case host names, allowed whatever they resolve to
	nets  []netip.Prefix // addresses and networks
}

// Parse reads a comma-separated list of host names, IP addresses and CIDR networks (e.g.
// "channels.internal,10.20.0.0/16,127.0.0.1").
func Parse(list string) (*Policy, error) {
	p := &Policy{}
	for _, item := range strings.Split(list, ",") {
		item = strings.ToLower(strings.TrimSpace(item))
		if item == "" {
			continue
		}
		if pfx, err := netip.ParsePrefix(item); err == nil {
			p.nets = append(p.nets, pfx.Masked())
			continue
		}
		if ip, err := netip.ParseAddr(strings.Trim(item, "[]")); err == nil {
			ip = ip.Unmap()
			p.nets = append(p.nets, netip.PrefixFrom(ip, ip.BitLen()))
			continue
		}
		if strings.ContainsAny(item, "/:[] ") {
			return nil, fmt.Errorf("%s: %q is neither a host name, an IP address nor a CIDR network", EnvAllowHosts, item)
		}
		p.hosts = append(p.hosts, strings.TrimSuffix(item, "."))
	}
	return p, nil
}

// MustParse is Parse for fixed lists (tests, dev).
func MustParse(list string) *Policy {
	p, err := Parse(list)
	if err != nil {
		panic(err)
	}
	return p
}

// String lists the allowed hosts and networks.
func (p *Policy) String() string {
	if p == nil {
		return ""
	}
	parts := append([]string(nil), p.hosts...)
	for _, n := range p.nets {
		parts = append(parts, n.String())
	}
	return strings.Join(parts, ",")
}

// ErrRefused is wrapped by every refusal, so callers tell a policy decision from a network failure.
var ErrRefused = errors.New("destination not allowed")

// RefusedError names the address that was refused and why.
type RefusedError struct {
	Host   string
	IP     netip.Addr
	Reason string
}

func (e *RefusedError) Error() string {
	if e.IP.IsValid() {
		return fmt.Sprintf("%s (%s): %s", e.Host, e.IP, e.Reason)
	}
	return fmt.Sprintf("%s: %s", e.Host, e.Reason)
}

func (e *RefusedError) Unwrap() error { return ErrRefused }

// metadata holds well-known cloud metadata addresses that are not already link-local.
var metadata = []netip.Prefix{
	netip.MustParsePrefix("100.100.100.200/32"), // Alibaba Cloud
	netip.MustParsePrefix("fd00:ec2::254/128"),  // AWS IPv6
}

var special = []struct {
	net    netip.Prefix
	reason string
}{
	{netip.MustParsePrefix("100.64.0.0/10"), "carrier-grade NAT address"},
	{netip.MustParsePrefix("0.0.0.0/8"), "\"this network\" address"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol address"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved address"},
	{netip.MustParsePrefix("64:ff9b::/96"), "NAT64 address"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "NAT64 address"},
}

// forbidden says why an address is not a public one, or "".
func forbidden(ip netip.Addr) string {
	ip = ip.Unmap()
	switch {
	case !ip.IsValid():
		return "invalid address"
	case ip.IsUnspecified():
		return "unspecified address"
	case ip.IsLoopback():
		return "loopback address"
	case ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast():
		return "link-local address (cloud metadata)"
	case ip.IsMulticast() || ip.IsInterfaceLocalMulticast():
		return "multicast address"
	case ip.IsPrivate():
		return "private address"
	case ip == netip.IPv4Unspecified() || ip.Is4() && ip.As4() == [4]byte{255, 255, 255, 255}:
		return "broadcast address"
	}
	for _, m := range metadata {
		if m.Contains(ip) {
			return "cloud metadata address"
		}
	}
	for _, s := range special {
		if s.net.Contains(ip) {
			return s.reason
		}
	}
	return ""
}

// hostAllowed tells whether a host name is on the allow-list.
func (p *Policy) hostAllowed(host string) bool {
	if p == nil {
		return false
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	for _, h := range p.hosts {
		if h == host {
			return true
		}
	}
	return false
}

// CheckIP refuses a non-public address unless the host name or the address is on the allow-list.
func (p *Policy) CheckIP(host string, ip netip.Addr) error {
	ip = ip.Unmap()
	reason := forbidden(ip)
	if reason == "" || p.hostAllowed(host) {
		return nil
	}
	if p != nil {
		for _, n := range p.nets {
			if n.Contains(ip) {
				return nil
			}
		}
	}
	return &RefusedError{Host: host, IP: ip, Reason: reason}
}

// Resolver looks up a host's addresses; net.DefaultResolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// CheckURL resolves an endpoint's host and refuses it when any of its addresses is not allowed (the save-time
// check). The dialer checks again at every connection.
func (p *Policy) CheckURL(ctx context.Context, r Resolver, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return &RefusedError{Host: raw, Reason: "not an absolute URL"}
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		return p.CheckIP(host, ip)
	}
	if p.hostAllowed(host) {
		return nil
	}
	if r == nil {
		r = net.DefaultResolver
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ips, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		// A name that does not resolve now (a channel's system not yet in DNS, or no DNS where the office works)
		// is accepted: it leads nowhere, and the dialer checks whatever it resolves to at connection time.
		return nil
	}
	for _, ip := range ips {
		if err := p.CheckIP(host, ip); err != nil {
			return err
		}
	}
	return nil
}

// Dialer returns a dialer whose every connection is checked against the policy after name resolution, just
// before connecting: the address actually dialed is the one checked.
func (p *Policy) Dialer(timeout time.Duration) *net.Dialer {
	return &net.Dialer{
		Timeout: timeout,
		// Control runs with the resolved address for every connection attempt (each A/AAAA record).
		Control: func(network, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return &RefusedError{Host: address, Reason: "bad address"}
			}
			ip, err := netip.ParseAddr(host)
			if err != nil {
				return &RefusedError{Host: address, Reason: "bad address"}
			}
			return p.checkDialed(ip)
		},
	}
}

// checkDialed checks an address at connection time. The dialer no longer knows the host name it resolved, so
// host-name entries of the allow-list are honoured through the DialContext wrapper below.
func (p *Policy) checkDialed(ip netip.Addr) error {
	return p.CheckIP("", ip)
}

// DialContext is an http.Transport DialContext that enforces the policy at connection time. A host on the
// allow-list by name is dialed without address checks (the deployment vouched for that name).
func (p *Policy) DialContext(timeout time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	checked := p.Dialer(timeout)
	plain := &net.Dialer{Timeout: timeout}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err == nil && p.hostAllowed(host) {
			return plain.DialContext(ctx, network, addr)
		}
		return checked.DialContext(ctx, network, addr)
	}
}
