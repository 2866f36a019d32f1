package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/identityd/identityd/core"
)

type clientRow struct {
	ClientID     string         `db:"client_id"`
	Name         string         `db:"name"`
	SecretHash   sql.NullString `db:"secret_hash"`
	SecretKey    string         `db:"secret_hash_key"`
	PrevHash     sql.NullString `db:"previous_secret_hash"`
	PrevKey      string         `db:"previous_secret_hash_key"`
	PrevExpires  sql.NullTime   `db:"previous_secret_expires_at"`
	RedirectURIs pq.StringArray `db:"redirect_uris"`
	GrantTypes   pq.StringArray `db:"grant_types"`
	Scopes       pq.StringArray `db:"scopes"`
	Public       bool           `db:"public"`
	FirstParty   bool           `db:"first_party"`
	PostLogout   pq.StringArray `db:"post_logout_redirect_uris"`
	IDTokenAlg   string         `db:"id_token_signed_response_alg"`
	CreatedAt    time.Time      `db:"created_at"`
	UpdatedAt    time.Time      `db:"updated_at"`
}

func (r clientRow) client() core.Client {
	return core.Client{
		ID: r.ClientID, Name: r.Name, SecretHash: r.SecretHash.String, SecretHashKey: r.SecretKey,
		RedirectURIs: r.RedirectURIs, GrantTypes: r.GrantTypes, Scopes: r.Scopes,
		Public: r.Public, FirstParty: r.FirstParty, PostLogoutRedirectURIs: r.PostLogout, IDTokenSignedResponseAlg: r.IDTokenAlg,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		PreviousSecretHash: r.PrevHash.String, PreviousSecretHashKey: r.PrevKey, PreviousSecretExpiresAt: fromNullTime(r.PrevExpires),
	}
}

// selectClient reads clients with their scope names in held order.
const selectClient = `SELECT c.client_id, c.name, c.secret_hash, c.secret_hash_key,
	c.previous_secret_hash, c.previous_secret_hash_key, c.previous_secret_expires_at, c.redirect_uris, c.grant_types,
	c.public, c.first_party, c.created_at, c.updated_at, c.post_logout_redirect_uris, c.id_token_signed_response_alg,
	(SELECT array_agg(cs.scope_name ORDER BY cs.position) FROM client_scopes cs WHERE cs.client_id = c.client_id) AS scopes
	FROM oauth_clients c`

// uniqueStrings drops repeated values, keeping the first order.
func uniqueStrings(v []string) []string {
	seen := make(map[string]bool, len(v))
	out := make([]string, 0, len(v))
	for _, s := range v {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// CreateClient implements ports.ClientRepository. Every scope the client
// holds must exist, else core.ErrConflict.
func (s *Store) CreateClient(ctx context.Context, c core.Client) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	what := fmt.Sprintf("create client %q", c.ID)
	return s.inTx(ctx, what, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO oauth_clients
			(client_id, name, secret_hash, redirect_uris, grant_types, public, first_party, created_at, updated_at,
			post_logout_redirect_uris, id_token_signed_response_alg, secret_hash_key)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			c.ID, c.Name, nullString(c.SecretHash), pq.StringArray(c.RedirectURIs), pq.StringArray(c.GrantTypes),
			c.Public, c.FirstParty, c.CreatedAt, c.UpdatedAt, pq.StringArray(c.PostLogoutRedirectURIs), c.IDTokenSignedResponseAlg, c.SecretHashKey)
		if err != nil {
			return translate(ctx, err, what)
		}
		return insertClientScopes(ctx, tx, c.ID, c.Scopes)
	})
}

// insertClientScopes links a client to the scopes it holds, by name, in
// order. A name with no scope is core.ErrConflict.
func insertClientScopes(ctx context.Context, tx *sqlx.Tx, clientID string, names []string) error {
	names = uniqueStrings(names)
	if len(names) == 0 {
		return nil
	}
	what := fmt.Sprintf("client %q: link scopes", clientID)
	res, err := tx.ExecContext(ctx, `INSERT INTO client_scopes (client_id, scope_id, scope_name, position)
		SELECT $1, s.id, s.name, u.ord - 1
		FROM unnest($2::text[]) WITH ORDINALITY AS u(name, ord)
		JOIN scopes s ON s.name = u.name`, clientID, pq.StringArray(names))
	if err != nil {
		return translate(ctx, err, what)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return translate(ctx, err, what)
	}
	if int(n) != len(names) {
		return fmt.Errorf("%s: a named scope does not exist: %w", what, core.ErrConflict)
	}
	return nil
}

func (s *Store) getClient(ctx context.Context, q sqlx.QueryerContext, id, suffix string) (core.Client, error) {
	var r clientRow
	if err := sqlx.GetContext(ctx, q, &r, selectClient+` WHERE c.client_id = $1`+suffix, id); err != nil {
		return core.Client{}, translate(ctx, err, fmt.Sprintf("client %q", id))
	}
	return r.client(), nil
}

// GetClient implements ports.ClientRepository.
func (s *Store) GetClient(ctx context.Context, id string) (core.Client, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.getClient(ctx, s.db, id, "")
}

// ListClients implements ports.ClientRepository.
func (s *Store) ListClients(ctx context.Context, p core.Page) ([]core.Client, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var rows []clientRow
	if err := s.db.SelectContext(ctx, &rows, selectClient+` WHERE c.client_id > $1 ORDER BY c.client_id LIMIT $2`, p.After, pageLimit(p)); err != nil {
		return nil, translate(ctx, err, "list clients")
	}
	out := make([]core.Client, len(rows))
	for i, r := range rows {
		out[i] = r.client()
	}
	return out, nil
}

// UpdateClient implements ports.ClientRepository: the row is locked
// (SELECT ... FOR UPDATE) while fn runs.
func (s *Store) UpdateClient(ctx context.Context, id string, fn func(core.Client) (core.Client, error)) (core.Client, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	what := fmt.Sprintf("update client %q", id)
	var out core.Client
	err := s.inTx(ctx, what, func(tx *sqlx.Tx) error {
		old, err := s.getClient(ctx, tx, id, ` FOR UPDATE OF c`)
		if err != nil {
			return err
		}
		c, err := fn(old)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE oauth_clients SET name = $2, secret_hash = $3, redirect_uris = $4,
			grant_types = $5, public = $6, first_party = $7, created_at = $8, updated_at = $9,
			post_logout_redirect_uris = $10, id_token_signed_response_alg = $11, secret_hash_key = $12,
			previous_secret_hash = $13, previous_secret_hash_key = $14, previous_secret_expires_at = $15
			WHERE client_id = $1`,
			id, c.Name, nullString(c.SecretHash), pq.StringArray(c.RedirectURIs), pq.StringArray(c.GrantTypes),
			c.Public, c.FirstParty, c.CreatedAt, c.UpdatedAt, pq.StringArray(c.PostLogoutRedirectURIs), c.IDTokenSignedResponseAlg, c.SecretHashKey,
			nullString(c.PreviousSecretHash), c.PreviousSecretHashKey, nullTime(c.PreviousSecretExpiresAt))
		if err != nil {
			return translate(ctx, err, what)
		}
		if !equalStrings(uniqueStrings(old.Scopes), uniqueStrings(c.Scopes)) {
			if _, err := tx.ExecContext(ctx, `DELETE FROM client_scopes WHERE client_id = $1`, id); err != nil {
				return translate(ctx, err, what)
			}
			if err := insertClientScopes(ctx, tx, id, c.Scopes); err != nil {
				return err
			}
		}
		out, err = s.getClient(ctx, tx, id, "")
		return err
	})
	if err != nil {
		return core.Client{}, err
	}
	return out, nil
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// DeleteClient implements ports.ClientRepository. Its refresh tokens, codes
// and scope links go in the same statement (ON DELETE CASCADE); its
// access-token records stay, for the caller to revoke.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var deleted string
	err := s.db.GetContext(ctx, &deleted, `DELETE FROM oauth_clients WHERE client_id = $1 RETURNING client_id`, id)
	return translate(ctx, err, fmt.Sprintf("delete client %q", id))
}

// CountClientSecretsNotUnder implements ports.ClientSecretKeys.
func (s *Store) CountClientSecretsNotUnder(ctx context.Context, keyID string) (int, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var n int
	err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM oauth_clients WHERE (secret_hash IS NOT NULL AND secret_hash_key <> $1)
		OR (previous_secret_hash IS NOT NULL AND previous_secret_hash_key <> $1 AND previous_secret_expires_at > now())`, keyID)
	return n, translate(ctx, err, "count client secrets")
}
