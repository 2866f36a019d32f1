package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

var (
	_ ports.IdentityProviderRepository = (*Store)(nil)
	_ ports.IdentityLinkRepository     = (*Store)(nil)
)

const identityProviderColumns = `id, name, issuer, client_id, client_secret_sealed, scopes, link_by_email, created_at, updated_at`

type identityProviderRow struct {
	ID          string         `db:"id"`
	Name        string         `db:"name"`
	Issuer      string         `db:"issuer"`
	ClientID    string         `db:"client_id"`
	Sealed      []byte         `db:"client_secret_sealed"`
	Scopes      pq.StringArray `db:"scopes"`
	LinkByEmail bool           `db:"link_by_email"`
	CreatedAt   time.Time      `db:"created_at"`
	UpdatedAt   time.Time      `db:"updated_at"`
}

func (r identityProviderRow) provider() core.IdentityProvider {
	var scopes []string
	if len(r.Scopes) > 0 {
		scopes = r.Scopes
	}
	return core.IdentityProvider{
		ID: r.ID, Name: r.Name, Issuer: r.Issuer, ClientID: r.ClientID, ClientSecretSealed: r.Sealed, Scopes: scopes, LinkByEmail: r.LinkByEmail, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
}

func scopesArray(v []string) pq.StringArray {
	if v == nil {
		return pq.StringArray{}
	}
	return pq.StringArray(v)
}

// CreateIdentityProvider implements ports.IdentityProviderRepository; a
// trigger records the change (migration 00120).
func (s *Store) CreateIdentityProvider(ctx context.Context, p core.IdentityProvider) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	_, err := s.db.ExecContext(ctx, `INSERT INTO identity_providers (`+identityProviderColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		p.ID, p.Name, p.Issuer, p.ClientID, p.ClientSecretSealed, scopesArray(p.Scopes), p.LinkByEmail, p.CreatedAt, p.UpdatedAt)
	return translate(ctx, err, "create identity provider")
}

// GetIdentityProvider implements ports.IdentityProviderRepository.
func (s *Store) GetIdentityProvider(ctx context.Context, id string) (core.IdentityProvider, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var r identityProviderRow
	err := s.db.GetContext(ctx, &r, `SELECT `+identityProviderColumns+` FROM identity_providers WHERE id = $1`, id)
	if err != nil {
		return core.IdentityProvider{}, translate(ctx, err, fmt.Sprintf("identity provider %q", id))
	}
	return r.provider(), nil
}

// ListIdentityProviders implements ports.IdentityProviderRepository.
func (s *Store) ListIdentityProviders(ctx context.Context) ([]core.IdentityProvider, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var rows []identityProviderRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT `+identityProviderColumns+` FROM identity_providers ORDER BY id`); err != nil {
		return nil, translate(ctx, err, "list identity providers")
	}
	out := make([]core.IdentityProvider, len(rows))
	for i, r := range rows {
		out[i] = r.provider()
	}
	return out, nil
}

// UpdateIdentityProvider implements ports.IdentityProviderRepository: the
// row is locked while fn runs.
func (s *Store) UpdateIdentityProvider(ctx context.Context, id string, fn func(core.IdentityProvider) (core.IdentityProvider, error)) (core.IdentityProvider, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	const what = "update identity provider"
	var out core.IdentityProvider
	err := s.inTx(ctx, what, func(tx *sqlx.Tx) error {
		var r identityProviderRow
		if err := tx.GetContext(ctx, &r, `SELECT `+identityProviderColumns+` FROM identity_providers WHERE id = $1 FOR UPDATE`, id); err != nil {
			return translate(ctx, err, what)
		}
		out = r.provider()
		p, err := fn(r.provider())
		if err != nil {
			return err
		}
		err = tx.GetContext(ctx, &r, `UPDATE identity_providers SET name = $2, issuer = $3, client_id = $4,
			client_secret_sealed = $5, scopes = $6, link_by_email = $7, updated_at = $8
			WHERE id = $1 RETURNING `+identityProviderColumns,
			id, p.Name, p.Issuer, p.ClientID, p.ClientSecretSealed, scopesArray(p.Scopes), p.LinkByEmail, p.UpdatedAt)
		if err != nil {
			return translate(ctx, err, what)
		}
		out = r.provider()
		return nil
	})
	return out, err
}

// DeleteIdentityProvider implements ports.IdentityProviderRepository; the
// links to it go with it (ON DELETE CASCADE).
func (s *Store) DeleteIdentityProvider(ctx context.Context, id string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	res, err := s.db.ExecContext(ctx, `DELETE FROM identity_providers WHERE id = $1`, id)
	if err != nil {
		return translate(ctx, err, "delete identity provider")
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("identity provider %q: %w", id, core.ErrNotFound)
	}
	return nil
}

const identityLinkColumns = `issuer, subject, user_id, provider_id, email, created_at`

type identityLinkRow struct {
	Issuer     string    `db:"issuer"`
	Subject    string    `db:"subject"`
	UserID     string    `db:"user_id"`
	ProviderID string    `db:"provider_id"`
	Email      string    `db:"email"`
	CreatedAt  time.Time `db:"created_at"`
}

func (r identityLinkRow) link() core.IdentityLink {
	return core.IdentityLink{UserID: r.UserID, ProviderID: r.ProviderID, Issuer: r.Issuer, Subject: r.Subject, Email: r.Email, CreatedAt: r.CreatedAt.UTC()}
}

// CreateIdentityLink implements ports.IdentityLinkRepository.
func (s *Store) CreateIdentityLink(ctx context.Context, l core.IdentityLink) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	_, err := s.db.ExecContext(ctx, `INSERT INTO user_identities (`+identityLinkColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		l.Issuer, l.Subject, l.UserID, l.ProviderID, l.Email, l.CreatedAt)
	return translate(ctx, err, "create identity link")
}

// GetIdentityLink implements ports.IdentityLinkRepository.
func (s *Store) GetIdentityLink(ctx context.Context, issuer, subject string) (core.IdentityLink, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var r identityLinkRow
	if err := s.db.GetContext(ctx, &r, `SELECT `+identityLinkColumns+` FROM user_identities WHERE issuer = $1 AND subject = $2`, issuer, subject); err != nil {
		return core.IdentityLink{}, translate(ctx, err, "identity link")
	}
	return r.link(), nil
}

// ListIdentityLinks implements ports.IdentityLinkRepository.
func (s *Store) ListIdentityLinks(ctx context.Context, userID string) ([]core.IdentityLink, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var rows []identityLinkRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT `+identityLinkColumns+` FROM user_identities WHERE user_id = $1 ORDER BY provider_id`, userID); err != nil {
		return nil, translate(ctx, err, "list identity links")
	}
	var out []core.IdentityLink
	for _, r := range rows {
		out = append(out, r.link())
	}
	return out, nil
}

// DeleteIdentityLink implements ports.IdentityLinkRepository.
func (s *Store) DeleteIdentityLink(ctx context.Context, userID, providerID string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	res, err := s.db.ExecContext(ctx, `DELETE FROM user_identities WHERE user_id = $1 AND provider_id = $2`, userID, providerID)
	if err != nil {
		return translate(ctx, err, "delete identity link")
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("identity link: %w", core.ErrNotFound)
	}
	return nil
}
