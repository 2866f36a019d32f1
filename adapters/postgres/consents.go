package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

var _ ports.ConsentRepository = (*Store)(nil)

type consentRow struct {
	UserID    string         `db:"user_id"`
	ClientID  string         `db:"client_id"`
	Scopes    pq.StringArray `db:"scopes"`
	GrantedAt time.Time      `db:"granted_at"`
	UpdatedAt time.Time      `db:"updated_at"`
}

func (r consentRow) consent() core.Consent {
	scopes := []string(r.Scopes)
	if scopes == nil {
		scopes = []string{}
	}
	return core.Consent{UserID: r.UserID, ClientID: r.ClientID, Scopes: scopes, GrantedAt: r.GrantedAt, UpdatedAt: r.UpdatedAt}
}

const consentColumns = `user_id, client_id, scopes, granted_at, updated_at`

// GetConsent implements ports.ConsentRepository.
func (s *Store) GetConsent(ctx context.Context, userID, clientID string) (core.Consent, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var r consentRow
	err := s.db.GetContext(ctx, &r, `SELECT `+consentColumns+` FROM consents WHERE user_id = $1 AND client_id = $2`, userID, clientID)
	if err != nil {
		return core.Consent{}, translate(ctx, err, fmt.Sprintf("get consent of %q for %q", userID, clientID))
	}
	return r.consent(), nil
}

// UpdateConsent implements ports.ConsentRepository: the row is made if
// missing, then locked (SELECT ... FOR UPDATE) while fn runs, in one
// transaction that fn's error rolls back.
func (s *Store) UpdateConsent(ctx context.Context, userID, clientID string, fn func(core.Consent) (core.Consent, error)) (core.Consent, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	what := fmt.Sprintf("update consent of %q for %q", userID, clientID)
	var out core.Consent
	err := s.inTx(ctx, what, func(tx *sqlx.Tx) error {
		var created bool
		err := tx.QueryRowContext(ctx, `INSERT INTO consents (user_id, client_id, granted_at, updated_at) VALUES ($1, $2, now(), now())
			ON CONFLICT (user_id, client_id) DO NOTHING RETURNING true`, userID, clientID).Scan(&created)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			if errors.Is(translate(ctx, err, what), core.ErrConflict) {
				// fk_consents_users or fk_consents_oauth_clients.
				return fmt.Errorf("%s: the person or the client does not exist: %w", what, core.ErrNotFound)
			}
			return translate(ctx, err, what)
		}
		var r consentRow
		if err := tx.GetContext(ctx, &r, `SELECT `+consentColumns+` FROM consents WHERE user_id = $1 AND client_id = $2 FOR UPDATE`, userID, clientID); err != nil {
			return translate(ctx, err, what)
		}
		old := r.consent()
		if created {
			old = core.Consent{UserID: userID, ClientID: clientID}
		}
		next, err := fn(old)
		if err != nil {
			return err
		}
		next.UserID, next.ClientID = userID, clientID
		if next.Scopes == nil {
			next.Scopes = []string{}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE consents SET scopes = $3, granted_at = $4, updated_at = $5 WHERE user_id = $1 AND client_id = $2`,
			userID, clientID, pq.StringArray(next.Scopes), next.GrantedAt, next.UpdatedAt); err != nil {
			return translate(ctx, err, what)
		}
		out = next
		return nil
	})
	return out, err
}

// ListConsents implements ports.ConsentRepository.
func (s *Store) ListConsents(ctx context.Context, userID string) ([]core.Consent, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var rows []consentRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT `+consentColumns+` FROM consents WHERE user_id = $1 ORDER BY client_id`, userID); err != nil {
		return nil, translate(ctx, err, fmt.Sprintf("list consents of %q", userID))
	}
	out := make([]core.Consent, len(rows))
	for i, r := range rows {
		out[i] = r.consent()
	}
	return out, nil
}

// DeleteConsent implements ports.ConsentRepository.
func (s *Store) DeleteConsent(ctx context.Context, userID, clientID string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	what := fmt.Sprintf("delete consent of %q for %q", userID, clientID)
	res, err := s.db.ExecContext(ctx, `DELETE FROM consents WHERE user_id = $1 AND client_id = $2`, userID, clientID)
	if err != nil {
		return translate(ctx, err, what)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return translate(ctx, err, what)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, core.ErrNotFound)
	}
	return nil
}
