package storage

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lib/pq"
)

// credentialsChannel is what PostgreSQL notifies on every change to api_tokens, sessions or users but a token's
// last use (migration 00055).
const credentialsChannel = "xinyong_credentials"

// Bounds of the credentials cache.
const (
	// credMaxAge is how long an entry is used without asking PostgreSQL again. A token's last use is written when
	// it is asked (to the minute), and a listening connection that died without a word (a peer gone from the
	// network) cannot keep a revoked credential alive longer than this.
	credMaxAge = time.Minute
	// credMaxEntries bounds the memory: past it the cache starts again.
	credMaxEntries = 20000
	// credPingEvery and credPingWait: the listening connection is asked to answer every credPingEvery; while an
	// answer is more than credPingWait late nothing is served from the cache.
	credPingEvery = 5 * time.Second
	credPingWait  = 5 * time.Second
)

// credCache keeps the users behind the bearer tokens and session cookies this process has seen, so that a request
// does not spend a round trip on who its caller is: a list is one statement and its caller's token another, and the
// token's statement can write (its last use), which PostgreSQL executes at a write's cost (issue 17).
//
// It is exact to within PostgreSQL's notification delay (milliseconds): a trigger on api_tokens, sessions and users
// notifies credentialsChannel of every change that could refuse a credential or change its user, on commit, and
// any notification empties the cache. Nothing is served from it unless the listening connection is known to be
// up and listening; every change of that state empties it too. This process's own changes (a revocation, a
// disabled account) empty it before they return, so the caller's next request already sees them.
//
// Entries are filled under a generation: a read that began before the cache was last emptied is not kept, since it
// may have seen the credential before the change that emptied it.
type credCache struct {
	log *slog.Logger
	l   *pq.Listener

	mu        sync.RWMutex
	entries   map[string]credEntry
	gen       uint64
	listening bool   // LISTEN done on the current connection
	connected bool   // the listener's connection is up and answers its pings
	events    uint64 // the listener's reports on its connection so far
	pinging   atomic.Bool
	closing   sync.Once
	stop      chan struct{}
	done      chan struct{}
}

type credEntry struct {
	user    User
	session Session // for a session cookie
	until   time.Time
}

// CacheCredentials keeps the callers' users in this process (credCache), emptied on PostgreSQL's notifications;
// it opens one more connection, for LISTEN. Without it every request reads its caller from PostgreSQL.
func (db *DB) CacheCredentials() {
	db.credsOnce.Do(func() {
		if db.dsn == "" {
			return
		}
		c := &credCache{log: slog.Default(), entries: map[string]credEntry{}, stop: make(chan struct{}), done: make(chan struct{})}
		c.l = pq.NewListener(withSetting(db.dsn, "application_name", credListenerName), 100*time.Millisecond, 5*time.Second, c.event)
		db.creds = c
		go c.run()
	})
}

// credListenerName is the listening connection's application_name (pg_stat_activity shows what it is).
const credListenerName = "xinyong-credentials"

// close stops the listener.
func (c *credCache) close() {
	if c == nil {
		return
	}
	c.closing.Do(func() { close(c.stop) })
	<-c.done
}

// ForgetCredentials empties this process's credentials cache after it changed tokens, sessions or users: this
// package's writes call it when they return, and a change made otherwise (a test's SQL, say) may, rather than wait
// for its notification.
func (db *DB) ForgetCredentials() { db.creds.reset() }

func (c *credCache) run() {
	defer close(c.done)
	defer c.l.Close()
	listened := make(chan error, 1)
	go func() { listened <- c.l.Listen(credentialsChannel) }()
	ping := time.NewTicker(credPingEvery)
	defer ping.Stop()
	for {
		select {
		case err := <-listened:
			listened = nil
			if err != nil {
				c.log.Warn("credentials cache: LISTEN failed; callers are read from the database", "err", err)
				continue
			}
			c.mu.Lock()
			c.listening = true // connected follows the listener's events
			c.resetLocked()
			c.mu.Unlock()
		case _, ok := <-c.l.Notify: // a change, or nil after a reconnection
			c.mu.Lock()
			c.connected = c.connected && ok // a closed channel: the listener is closed
			c.resetLocked()
			c.mu.Unlock()
			if !ok {
				<-c.stop
				return
			}
		case <-ping.C:
			if c.pinging.CompareAndSwap(false, true) {
				go c.ping()
			}
		case <-c.stop:
			return
		}
	}
}

// ping asks the listening connection to answer. While the answer is late nothing is served from the cache; a late
// answer makes it usable again unless the listener reported on its connection in the meantime (its report decides).
func (c *credCache) ping() {
	defer c.pinging.Store(false)
	c.mu.RLock()
	events := c.events
	c.mu.RUnlock()
	answered := make(chan error, 1)
	go func() { answered <- c.l.Ping() }()
	select {
	case <-answered:
		return // on an error the listener reports the lost connection itself
	case <-time.After(credPingWait):
	case <-c.stop:
		return
	}
	c.mu.Lock()
	late := c.events == events && c.connected
	if late {
		c.connected = false
		c.resetLocked()
	}
	c.mu.Unlock()
	if !late {
		return
	}
	select {
	case err := <-answered:
		c.mu.Lock()
		if err == nil && c.events == events && !c.connected {
			c.connected = true
			c.resetLocked()
		}
		c.mu.Unlock()
	case <-c.stop:
	}
}

// event follows the listener's connection (pq.EventCallbackType).
func (c *credCache) event(ev pq.ListenerEventType, err error) {
	switch ev {
	case pq.ListenerEventConnected:
	case pq.ListenerEventReconnected:
		c.log.Info("credentials cache: listening again")
	default:
		c.log.Warn("credentials cache: listening connection lost; callers are read from the database", "event", ev.String(), "err", err)
	}
	up := ev == pq.ListenerEventConnected || ev == pq.ListenerEventReconnected
	c.mu.Lock()
	c.events++
	c.connected = up
	c.resetLocked()
	c.mu.Unlock()
}

func (c *credCache) reset() {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.resetLocked()
	c.mu.Unlock()
}

func (c *credCache) resetLocked() {
	c.gen++
	if len(c.entries) > 0 {
		c.entries = map[string]credEntry{}
	}
}

// get returns the entry of key and true, or the generation a read of the credential must be kept under.
func (c *credCache) get(key string) (credEntry, uint64, bool) {
	if c == nil {
		return credEntry{}, 0, false
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if !c.listening || !c.connected {
		return credEntry{}, c.gen, false
	}
	e, ok := c.entries[key]
	if !ok || !time.Now().Before(e.until) {
		return credEntry{}, c.gen, false
	}
	return e, c.gen, true
}

// put keeps e under key unless the cache was emptied since gen (or is not in use); it lives until at most its
// credential's expiry.
func (c *credCache) put(key string, gen uint64, e credEntry, expires time.Time) {
	if c == nil {
		return
	}
	e.until = time.Now().Add(credMaxAge)
	if expires.Before(e.until) {
		e.until = expires
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen || !c.listening || !c.connected {
		return
	}
	if len(c.entries) >= credMaxEntries {
		c.entries = map[string]credEntry{}
	}
	c.entries[key] = e
}

// credKey names a credential in the cache by its hash (the secret itself is not kept).
func credKey(kind byte, hash []byte) string {
	return string(kind) + string(hash)
}
