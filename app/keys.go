package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/identityd/identityd/adapters/hashing"
	"github.com/identityd/identityd/adapters/jwt"
	"github.com/identityd/identityd/adapters/postgres"
	"github.com/identityd/identityd/ports"
)

// KeysConfig is what `identityd keys reseal` and `identityd keys status`
// read: the database and the two JWT_REFRESH_SECRETs.
type KeysConfig struct {
	DatabaseURL           string
	RefreshSecret         []byte
	PreviousRefreshSecret []byte
	// PreviousSecret is JWT_SECRET_PREVIOUS (nil when unset); AccessTTL
	// and RefreshTTL are TOKEN_EXPIRY and REFRESH_TOKEN_EXPIRY: keys
	// status tells until when tokens made under the previous secrets may
	// be valid.
	PreviousSecret []byte
	AccessTTL      time.Duration
	RefreshTTL     time.Duration
}

// LoadKeysConfig reads DATABASE_URL, JWT_REFRESH_SECRET and
// JWT_REFRESH_SECRET_PREVIOUS under the rules of LoadConfig, except that
// every value is required: a random secret would name no stored key.
// withPrevious says whether JWT_REFRESH_SECRET_PREVIOUS is required too.
func LoadKeysConfig(lookup Lookup, withPrevious bool) (KeysConfig, error) {
	l := &loader{lookup: lookup}
	var c Config
	c.Env = l.env()
	kc := KeysConfig{DatabaseURL: l.str("DATABASE_URL", "")}
	if kc.DatabaseURL == "" {
		l.fail("DATABASE_URL: is required; an in-memory server keeps its keys in the process")
	}
	if l.str("JWT_REFRESH_SECRET", "") == "" {
		l.fail("JWT_REFRESH_SECRET: is required")
	} else {
		kc.RefreshSecret = l.secret("JWT_REFRESH_SECRET", c.Production(), &c)
	}
	if withPrevious && l.str("JWT_REFRESH_SECRET_PREVIOUS", "") == "" {
		l.fail("JWT_REFRESH_SECRET_PREVIOUS: is required (the secret the keys are sealed under now)")
	}
	kc.PreviousRefreshSecret = l.previousRefreshSecret(TokenConfig{RefreshSecret: kc.RefreshSecret})
	if l.str("JWT_SECRET_PREVIOUS", "") != "" {
		var ignored Config
		kc.PreviousSecret = l.secret("JWT_SECRET_PREVIOUS", true, &ignored)
	}
	kc.AccessTTL = l.duration("TOKEN_EXPIRY", 15*time.Minute)
	kc.RefreshTTL = l.duration("REFRESH_TOKEN_EXPIRY", 7*24*time.Hour)
	return kc, errors.Join(l.errs...)
}

// signingKeyEncryptionKey is the key sealing stored signing keys of a
// JWT_REFRESH_SECRET; nil for none.
func signingKeyEncryptionKey(refreshSecret []byte) []byte {
	if refreshSecret == nil {
		return nil
	}
	return deriveKey(refreshSecret, "identityd signing key encryption v1")
}

// KeyStatus is what `identityd keys status` reports.
type KeyStatus struct {
	// SigningKeys counts the stored signing keys by the secret that
	// sealed them.
	SigningKeys postgres.KeyCensus
	// ClientSecretsNotCurrent counts the clients whose secret is not
	// recorded as hashed under JWT_REFRESH_SECRET: they authenticate only
	// while JWT_REFRESH_SECRET_PREVIOUS is their secret's key.
	ClientSecretsNotCurrent int
	// AccessTokensUntil is the latest moment an access token signed with
	// JWT_SECRET_PREVIOUS may be valid: its last recorded use by any
	// instance plus the marking interval, the clock skew allowed and
	// TOKEN_EXPIRY. Zero when JWT_SECRET_PREVIOUS is unset or no
	// instance recorded using it.
	AccessTokensUntil time.Time
	// RefreshTokensUntil is the same for the refresh tokens, codes and
	// links hashed or signed under JWT_REFRESH_SECRET_PREVIOUS, with
	// REFRESH_TOKEN_EXPIRY (those used before then have moved to the
	// current secret).
	RefreshTokensUntil time.Time
}

// usedUntil is the latest validity of what a secret last used at last
// made, living ttl; zero when there is no recorded use.
func usedUntil(last time.Time, ttl time.Duration) time.Time {
	if last.IsZero() {
		return time.Time{}
	}
	return last.Add(jwt.MarkEvery + 30*time.Second + ttl)
}

// withKeys opens the database of kc and the signing-key store of its
// secrets for fn.
func withKeys(ctx context.Context, kc KeysConfig, log *slog.Logger, fn func(*postgres.DB, *postgres.SigningKeys) error) error {
	db, err := postgres.Open(ctx, postgres.Options{URL: kc.DatabaseURL, MaxOpenConns: 1, Logger: log})
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	defer db.Close()
	keys, err := postgres.NewSigningKeys(db, signingKeyEncryptionKey(kc.RefreshSecret), signingKeyEncryptionKey(kc.PreviousRefreshSecret), nil)
	if err != nil {
		return err
	}
	return fn(db, keys)
}

// ResealSigningKeys seals the stored signing keys sealed under
// JWT_REFRESH_SECRET_PREVIOUS under JWT_REFRESH_SECRET instead, and returns
// how many it moved (see postgres.SigningKeys.Reseal).
func ResealSigningKeys(ctx context.Context, kc KeysConfig, log *slog.Logger) (int, error) {
	n := 0
	err := withKeys(ctx, kc, log, func(_ *postgres.DB, keys *postgres.SigningKeys) error {
		var err error
		n, err = keys.Reseal(ctx, time.Now().UTC())
		return err
	})
	return n, err
}

// KeysStatus counts what still depends on JWT_REFRESH_SECRET_PREVIOUS.
func KeysStatus(ctx context.Context, kc KeysConfig, log *slog.Logger) (KeyStatus, error) {
	var st KeyStatus
	err := withKeys(ctx, kc, log, func(db *postgres.DB, keys *postgres.SigningKeys) error {
		var err error
		if st.SigningKeys, err = keys.Census(ctx, time.Time{}); err != nil {
			return err
		}
		store := postgres.NewStore(db, postgres.StoreOptions{})
		defer store.Close()
		st.ClientSecretsNotCurrent, err = store.CountClientSecretsNotUnder(ctx, hashing.NewHMAC(secretHashKey(kc.RefreshSecret)).KeyID())
		if err != nil {
			return err
		}
		if kc.PreviousSecret != nil {
			last, err := keys.SecretLastUsed(ctx, jwt.HMACKeyID(kc.PreviousSecret))
			if err != nil {
				return err
			}
			st.AccessTokensUntil = usedUntil(last, kc.AccessTTL)
		}
		if kc.PreviousRefreshSecret != nil {
			last, err := keys.SecretLastUsed(ctx, hashing.NewHMAC(secretHashKey(kc.PreviousRefreshSecret)).KeyID())
			if err != nil {
				return err
			}
			st.RefreshTokensUntil = usedUntil(last, kc.RefreshTTL)
		}
		return nil
	})
	return st, err
}

// noteKeyRotation logs at start what depends on a secret this instance
// does not hold, or on JWT_REFRESH_SECRET_PREVIOUS: published signing keys
// sealed under a secret not configured (lost to this instance: set that
// secret as JWT_REFRESH_SECRET_PREVIOUS), keys `identityd keys reseal` has
// yet to move, and clients whose secret is not hashed under
// JWT_REFRESH_SECRET yet. A failure to count is logged and changes nothing.
func noteKeyRotation(ctx context.Context, cfg Config, clock ports.Clock, keys *postgres.SigningKeys, clients ports.ClientSecretKeys, log *slog.Logger) {
	c, err := keys.Census(ctx, clock.Now().Add(-publishFor(cfg)))
	if err != nil {
		log.Warn("count signing keys", "error", err.Error())
		return
	}
	if c.Other > 0 {
		log.Warn("published signing keys sealed under a JWT_REFRESH_SECRET this instance does not have are not read; tokens they signed do not verify here. If the secret was changed, set the former one as JWT_REFRESH_SECRET_PREVIOUS", "keys", c.Other)
	}
	if cfg.Tokens.PreviousRefreshSecret == nil {
		return
	}
	if c.Previous > 0 {
		log.Warn("signing keys sealed under JWT_REFRESH_SECRET_PREVIOUS: run `identityd keys reseal` once every instance runs with the new JWT_REFRESH_SECRET", "keys", c.Previous)
	}
	n, err := clients.CountClientSecretsNotUnder(ctx, newSecretHasher(cfg).KeyID())
	if err != nil {
		log.Warn("count client secrets", "error", err.Error())
		return
	}
	log.Info("clients whose secret is not yet hashed under JWT_REFRESH_SECRET (each moves when it authenticates)", "clients", n)
}

// publishFor is how long a retired signing key stays published.
func publishFor(cfg Config) time.Duration {
	// A retired key goes on signing until its successor has been
	// published for JWKS_CACHE_MAX_AGE.
	return cfg.Tokens.JWKSCacheMaxAge + cfg.Tokens.AccessTTL + keyRefreshEvery + 30*time.Second
}
