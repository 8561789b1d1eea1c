package deploy

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"xinyong/activities"
)

// channelSystems are the five publication channels' systems, served by the test on the service address. Each
// applies an Idempotency-Key once however often it is sent (the channel protocol). While holding is on, a
// withdrawal call is applied and its answer withheld until release (or the caller goes away): the fan-out is
// then visibly in flight on both workers, and the kill catches calls the killed worker had made.
type channelSystems struct {
	srv     *http.Server
	base    string
	secrets map[string]string

	mu      sync.Mutex
	holding bool
	release chan struct{}
	applied map[string]map[string]int    // channel -> key -> applications (must stay 1)
	calls   map[string]map[string]int    // channel -> key -> deliveries
	bodies  map[string]map[string][]byte // channel -> key -> first body
	changed map[string]int               // channel -> deliveries whose body differed from the first
	held    map[string]int               // remote host -> calls held now
	cut     int                          // held calls whose caller went away before the answer
	badSigs int
}

// newChannelSystems serves the systems over HTTPS (channels must be https://) with a certificate for listenIP,
// written as a CA file to caPath; the xinyong processes trust it through SSL_CERT_FILE.
func newChannelSystems(t *testing.T, listenIP, caPath string, ids []string) *channelSystems {
	t.Helper()
	cert := selfSignedCert(t, listenIP, caPath)
	ln, err := tls.Listen("tcp", net.JoinHostPort(listenIP, "0"), &tls.Config{Certificates: []tls.Certificate{cert}})
	require.NoError(t, err)
	c := &channelSystems{base: "https://" + ln.Addr().String(), secrets: map[string]string{}, release: make(chan struct{}),
		applied: map[string]map[string]int{}, calls: map[string]map[string]int{}, bodies: map[string]map[string][]byte{},
		changed: map[string]int{}, held: map[string]int{}}
	for _, id := range ids {
		c.secrets[id] = id + "-topology-secret-" + randHex(4)
		c.applied[id], c.calls[id], c.bodies[id] = map[string]int{}, map[string]int{}, map[string][]byte{}
	}
	c.srv = &http.Server{Handler: c, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = c.srv.Serve(ln) }()
	t.Cleanup(func() {
		c.setHolding(false)
		_ = c.srv.Close()
	})
	return c
}

// selfSignedCert makes a certificate for ip that is its own CA, and writes it (PEM) to caPath.
func selfSignedCert(t *testing.T, ip, caPath string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "topology channel systems"},
		NotBefore:    time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.ParseIP(ip)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(caPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644))
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func (c *channelSystems) url(id string) string { return c.base + "/systems/" + id }

func (c *channelSystems) setHolding(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if on && !c.holding {
		c.release = make(chan struct{})
	}
	if !on && c.holding {
		close(c.release)
	}
	c.holding = on
}

func (c *channelSystems) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/systems/")
	body, err := io.ReadAll(r.Body)
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	c.mu.Lock()
	secret, known := c.secrets[id]
	if err != nil || !known || !activities.VerifySignature(secret, body, r.Header.Get(activities.HeaderSignature)) {
		c.badSigs++
		c.mu.Unlock()
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	key := r.Header.Get(activities.HeaderIdempotencyKey)
	c.calls[id][key]++
	if first, ok := c.bodies[id][key]; !ok {
		c.bodies[id][key] = body
	} else if !bytes.Equal(first, body) {
		c.changed[id]++
	}
	if c.applied[id][key] == 0 {
		c.applied[id][key] = 1
	}
	hold := c.holding && r.Header.Get(activities.HeaderEvent) == "withdrawal"
	release := c.release
	if hold {
		c.held[host]++
	}
	c.mu.Unlock()
	if hold {
		gone := false
		select {
		case <-release:
		case <-r.Context().Done():
			gone = true
		case <-time.After(2 * time.Minute):
		}
		c.mu.Lock()
		c.held[host]--
		if gone {
			c.cut++
		}
		c.mu.Unlock()
		if gone {
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"reference":"%s-%d"}`, id, time.Now().UnixNano())
}

func (c *channelSystems) heldBy(host string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.held[host]
}

// appliedKeys lists, per channel, the Idempotency-Keys applied, with how often each was applied.
func (c *channelSystems) appliedKeys() map[string]map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]map[string]int{}
	for id, keys := range c.applied {
		out[id] = map[string]int{}
		for k, n := range keys {
			out[id][k] = n
		}
	}
	return out
}

func (c *channelSystems) stats() (deliveries, redeliveries, changed, cut, badSigs int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id := range c.calls {
		for _, n := range c.calls[id] {
			deliveries += n
			redeliveries += n - 1
		}
		changed += c.changed[id]
	}
	return deliveries, redeliveries, changed, c.cut, c.badSigs
}

func (c *channelSystems) summary() string {
	d, r, ch, cut, bad := c.stats()
	c.mu.Lock()
	defer c.mu.Unlock()
	hosts := make([]string, 0, len(c.held))
	for h, n := range c.held {
		hosts = append(hosts, fmt.Sprintf("%s:%d", h, n))
	}
	sort.Strings(hosts)
	return fmt.Sprintf("deliveries %d, redeliveries %d, changed bodies %d, cut %d, bad signatures %d, held %v", d, r, ch, cut, bad, hosts)
}
