package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// DefaultInvalidationHold is how long an invalidated client stays
// uncacheable when NewClientCache is given no hold.
const DefaultInvalidationHold = 5 * time.Second

// ClientCache keeps clients as JSON values with a TTL.
//
// InvalidateClient leaves a short-lived tombstone instead of deleting the
// key, and CacheClient never overwrites a key (SET NX). So a reader that
// loaded a client from the database just before another instance changed
// it cannot put the stale copy back after the invalidation: its write
// lands on the tombstone and is dropped.
type ClientCache struct {
	c    *Client
	hold time.Duration
}

var _ ports.ClientCache = (*ClientCache)(nil)

// NewClientCache returns a client cache on c. hold is how long an
// invalidated entry refuses new values (DefaultInvalidationHold when 0);
// it should exceed the time between a database read and the cache write
// that follows it.
func NewClientCache(c *Client, hold time.Duration) *ClientCache {
	if hold <= 0 {
		hold = DefaultInvalidationHold
	}
	return &ClientCache{c: c, hold: hold}
}

// cachedClient is the JSON form of a core.Client in the cache.
type cachedClient struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	SecretHash   string    `json:"secret_hash,omitempty"`
	RedirectURIs []string  `json:"redirect_uris"`
	GrantTypes   []string  `json:"grant_types"`
	Scopes       []string  `json:"scopes"`
	Public       bool      `json:"public"`
	FirstParty   bool      `json:"first_party"`
	PostLogout   []string  `json:"post_logout_redirect_uris,omitempty"`
	IDTokenAlg   string    `json:"id_token_signed_response_alg,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

func (cc *ClientCache) key(id string) string { return cc.c.key("client", id) }

// GetCachedClient implements ports.ClientCache.
func (cc *ClientCache) GetCachedClient(ctx context.Context, id string) (core.Client, error) {
	ctx, cancel := cc.c.bound(ctx)
	defer cancel()
	b, err := cc.c.rdb.Get(ctx, cc.key(id)).Bytes()
	if err != nil {
		return core.Client{}, translate(ctx, err, fmt.Sprintf("redis: cached client %q", id))
	}
	if len(b) == 0 {
		return core.Client{}, fmt.Errorf("redis: cached client %q invalidated: %w", id, core.ErrNotFound)
	}
	var v cachedClient
	if err := json.Unmarshal(b, &v); err != nil {
		return core.Client{}, fmt.Errorf("redis: decode cached client %q: %w", id, err)
	}
	return core.Client{
		ID: v.ID, Name: v.Name, SecretHash: v.SecretHash, RedirectURIs: v.RedirectURIs, GrantTypes: v.GrantTypes,
		Scopes: v.Scopes, Public: v.Public, FirstParty: v.FirstParty, CreatedAt: v.CreatedAt.UTC(), UpdatedAt: v.UpdatedAt.UTC(),
		PostLogoutRedirectURIs: v.PostLogout, IDTokenSignedResponseAlg: v.IDTokenAlg,
	}, nil
}

// CacheClient implements ports.ClientCache. It does not replace an entry
// already there, nor a tombstone left by InvalidateClient.
func (cc *ClientCache) CacheClient(ctx context.Context, c core.Client, ttl time.Duration) error {
	if ttl <= 0 {
		return nil
	}
	b, err := json.Marshal(cachedClient{
		ID: c.ID, Name: c.Name, SecretHash: c.SecretHash, RedirectURIs: c.RedirectURIs, GrantTypes: c.GrantTypes,
		Scopes: c.Scopes, Public: c.Public, FirstParty: c.FirstParty, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
		PostLogout: c.PostLogoutRedirectURIs, IDTokenAlg: c.IDTokenSignedResponseAlg,
	})
	if err != nil {
		return fmt.Errorf("redis: encode client %q: %w", c.ID, err)
	}
	ctx, cancel := cc.c.bound(ctx)
	defer cancel()
	return translate(ctx, cc.c.rdb.SetNX(ctx, cc.key(c.ID), b, ttl).Err(), fmt.Sprintf("redis: cache client %q", c.ID))
}

// InvalidateClient implements ports.ClientCache: the entry is replaced by a
// tombstone that lives for the hold.
func (cc *ClientCache) InvalidateClient(ctx context.Context, id string) error {
	ctx, cancel := cc.c.bound(ctx)
	defer cancel()
	return translate(ctx, cc.c.rdb.Set(ctx, cc.key(id), "", cc.hold).Err(), fmt.Sprintf("redis: invalidate client %q", id))
}
