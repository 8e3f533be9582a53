package idp

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// keySet is the provider's signing keys (its JWKS), fetched when a token
// names a key not held yet, at most once per minRefresh: a flood of tokens
// naming made-up keys must not become a flood of requests to the provider.
// Only public keys of asymmetric algorithms are kept, so no token can be
// checked against a key as an HMAC secret.
type keySet struct {
	url        string
	client     *http.Client
	minRefresh time.Duration
	now        func() time.Time

	fetch sync.Mutex // one fetch at a time; others wait for its result

	mu        sync.RWMutex
	keys      map[string]jose.JSONWebKey // by kid
	attempted time.Time                  // last fetch, successful or not
	fetchErr  error                      // the last fetch's failure, nil after a success
}

func newKeySet(url string, client *http.Client, minRefresh time.Duration, now func() time.Time) *keySet {
	return &keySet{url: url, client: client, minRefresh: minRefresh, now: now}
}

// key returns the key named kid. A kid not held triggers a fetch unless one
// was made less than minRefresh ago; a fetch that fails is ErrUnavailable,
// never a pass.
func (k *keySet) key(ctx context.Context, kid string) (jose.JSONWebKey, error) {
	if key, ok := k.cached(kid); ok {
		return key, nil
	}
	k.fetch.Lock()
	defer k.fetch.Unlock()
	if key, ok := k.cached(kid); ok { // fetched while this one waited
		return key, nil
	}
	k.mu.RLock()
	recent, lastErr := !k.attempted.IsZero() && k.now().Sub(k.attempted) < k.minRefresh, k.fetchErr
	k.mu.RUnlock()
	if !recent {
		lastErr = k.refresh(ctx)
		if key, ok := k.cached(kid); ok {
			return key, nil
		}
	}
	if lastErr != nil {
		return jose.JSONWebKey{}, unavailable(lastErr, "the identity provider's signing keys cannot be read, so its token cannot be checked; try again shortly")
	}
	return jose.JSONWebKey{}, invalidf("the token is signed with a key the identity provider does not publish (kid %q)", clip(kid))
}

func (k *keySet) cached(kid string) (jose.JSONWebKey, bool) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if kid == "" && len(k.keys) == 1 { // a provider with one key may leave kid out
		for _, key := range k.keys {
			return key, true
		}
	}
	key, ok := k.keys[kid]
	return key, ok && kid != ""
}

// refresh fetches the JWKS and replaces the keys held; on failure the old
// keys stay (a provider's hiccup does not sign everyone out).
func (k *keySet) refresh(ctx context.Context) error {
	keys, err := k.download(ctx)
	k.mu.Lock()
	defer k.mu.Unlock()
	k.attempted, k.fetchErr = k.now(), err
	if err == nil {
		k.keys = keys
	}
	return err
}

func (k *keySet) download(ctx context.Context) (map[string]jose.JSONWebKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: status %d", k.url, resp.StatusCode)
	}
	var raw struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("GET %s: %w", k.url, err)
	}
	keys := make(map[string]jose.JSONWebKey, len(raw.Keys))
	for _, r := range raw.Keys {
		var key jose.JSONWebKey
		// A key this library cannot read (another key type) is skipped, not fatal.
		if json.Unmarshal(r, &key) != nil || key.Use == "enc" || !asymmetricPublic(key.Key) {
			continue
		}
		keys[key.KeyID] = key
	}
	if len(keys) == 0 {
		return nil, errors.New("the JWKS holds no usable signing key")
	}
	return keys, nil
}

func asymmetricPublic(k any) bool {
	switch k.(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
		return true
	}
	return false
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
