package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// XINYONG_READ_CONCURRENCY: empty is the default, "off" no limit, a positive number that many; anything else stops
// the start with the variable's name.
func TestReadConcurrencySetting(t *testing.T) {
	for v, want := range map[string]int{"": 0, "off": -1, "1": 1, "12": 12} {
		got, err := parseReadConcurrency(v)
		require.NoError(t, err, v)
		require.Equal(t, want, got, v)
	}
	for _, v := range []string{"0", "-3", "many", "2.5"} {
		_, err := parseReadConcurrency(v)
		require.ErrorContains(t, err, "XINYONG_READ_CONCURRENCY", v)
	}
	hc, err := config{ReadConcurrency: "7"}.httpConfig()
	require.NoError(t, err)
	require.Equal(t, 7, hc.ReadConcurrency)
	_, err = config{ReadConcurrency: "x"}.httpConfig()
	require.Error(t, err)
}

// XINYONG_CREDENTIAL_CACHE: on by default, "off" turns it off; anything else stops the start.
func TestCredentialCacheSetting(t *testing.T) {
	for v, off := range map[string]bool{"": false, "on": false, "off": true} {
		hc, err := config{CredentialCache: v}.httpConfig()
		require.NoError(t, err, v)
		require.Equal(t, off, hc.NoCredentialCache, v)
	}
	_, err := config{CredentialCache: "no"}.httpConfig()
	require.ErrorContains(t, err, "XINYONG_CREDENTIAL_CACHE")
}
