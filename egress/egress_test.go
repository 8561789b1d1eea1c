package egress

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestForbiddenAddresses(t *testing.T) {
	var strict *Policy
	for _, a := range []string{"127.0.0.1", "127.9.9.9", "::1", "169.254.169.254", "fe80::1", "10.0.0.1", "172.16.5.5",
		"192.168.1.1", "100.64.0.1", "224.0.0.1", "ff02::1", "0.0.0.0", "::", "fc00::1", "::ffff:127.0.0.1",
		"100.100.100.200", "255.255.255.255"} {
		err := strict.CheckIP("", netip.MustParseAddr(a))
		assert.ErrorIs(t, err, ErrRefused, a)
	}
	for _, a := range []string{"8.8.8.8", "114.114.114.114", "2400:3200::1"} {
		assert.NoError(t, strict.CheckIP("", netip.MustParseAddr(a)), a)
	}
}

func TestAllowListAdmitsNamedHostsAndNetworks(t *testing.T) {
	p := MustParse(" channels.internal , 10.20.0.0/16,127.0.0.1")
	assert.NoError(t, p.CheckIP("channels.internal", netip.MustParseAddr("10.9.9.9")))
	assert.NoError(t, p.CheckIP("", netip.MustParseAddr("10.20.3.4")))
	assert.NoError(t, p.CheckIP("", netip.MustParseAddr("127.0.0.1")))
	assert.ErrorIs(t, p.CheckIP("", netip.MustParseAddr("127.0.0.2")), ErrRefused)
	assert.ErrorIs(t, p.CheckIP("", netip.MustParseAddr("169.254.169.254")), ErrRefused)
	_, err := Parse("http://x/")
	assert.Error(t, err)
}

type fakeResolver map[string][]netip.Addr

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if ips, ok := f[host]; ok {
		return ips, nil
	}
	return nil, errors.New("no such host")
}

func TestCheckURLResolvesNames(t *testing.T) {
	r := fakeResolver{
		"public.example":   {netip.MustParseAddr("93.184.216.34")},
		"rebind.example":   {netip.MustParseAddr("93.184.216.34"), netip.MustParseAddr("127.0.0.1")},
		"metadata.example": {netip.MustParseAddr("169.254.169.254")},
	}
	var strict *Policy
	ctx := context.Background()
	assert.NoError(t, strict.CheckURL(ctx, r, "https://public.example/hook"))
	assert.ErrorIs(t, strict.CheckURL(ctx, r, "https://rebind.example/hook"), ErrRefused)
	assert.ErrorIs(t, strict.CheckURL(ctx, r, "https://metadata.example/hook"), ErrRefused)
	assert.NoError(t, strict.CheckURL(ctx, r, "https://nowhere.example/hook"), "the dialer checks it when it resolves")
	assert.ErrorIs(t, strict.CheckURL(ctx, r, "http://127.0.0.1:7243/api/v1/namespaces"), ErrRefused)
	assert.ErrorIs(t, strict.CheckURL(ctx, r, "http://[::ffff:169.254.169.254]/"), ErrRefused)
}

// TestDialerChecksTheDialedAddress: a name that resolves to loopback at connection time (DNS rebinding) is refused
// by the dialer itself, whatever was checked when the endpoint was saved.
func TestDialerChecksTheDialedAddress(t *testing.T) {
	hit := false
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hit = true }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())

	strict := &http.Client{Transport: &http.Transport{DialContext: (*Policy)(nil).DialContext(2 * time.Second)}}
	for _, u := range []string{srv.URL, "http://localhost:" + port + "/"} {
		_, err := strict.Get(u)
		require.Error(t, err, u)
		assert.ErrorIs(t, err, ErrRefused, u)
	}
	assert.False(t, hit, "the loopback server was never reached")

	allowed := &http.Client{Transport: &http.Transport{DialContext: MustParse("127.0.0.1").DialContext(2 * time.Second)}}
	resp, err := allowed.Get(srv.URL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.True(t, hit)
}
