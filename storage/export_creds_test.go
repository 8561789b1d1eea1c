package storage

import "time"

// CredentialCacheLive tells whether the credentials cache is listening and its connection answers (what it serves
// from only then).
func (db *DB) CredentialCacheLive() bool {
	c := db.creds
	if c == nil {
		return false
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.listening && c.connected
}

// KeepCredentialUnder runs the cache's fill of key under gen as a read that began then would, and tells whether
// it was kept.
func (db *DB) KeepCredentialUnder(gen uint64, u User) (uint64, bool) {
	c := db.creds
	key := credKey('t', []byte("a read that began earlier"))
	_, now, _ := c.get(key)
	c.put(key, gen, credEntry{user: u}, time.Now().Add(time.Hour))
	_, _, ok := c.get(key)
	return now, ok
}
