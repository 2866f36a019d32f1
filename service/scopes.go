package service

import (
	"context"
	"slices"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// Scopes manages scopes.
type Scopes struct {
	repo   ports.ScopeRepository
	random ports.Random
	clock  ports.Clock
	audit  *Audit
}

// NewScopes returns the scope service; it records every change in audit
// (nil records nothing).
func NewScopes(repo ports.ScopeRepository, random ports.Random, clock ports.Clock, audit *Audit) *Scopes {
	return &Scopes{repo: repo, random: random, clock: clock, audit: audit}
}

// ScopeInput is what a caller may set on a scope.
type ScopeInput struct {
	Name        string
	Description string
}

// Create validates and stores a scope for caller; core.ErrAlreadyExists
// on a duplicate name, a *core.ForbiddenError for a name in the management
// namespaces (core.AuthorizeScopeChange).
func (s *Scopes) Create(ctx context.Context, caller core.Caller, in ScopeInput) (core.Scope, error) {
	now := s.clock.Now()
	sc := core.Scope{ID: s.random.NewID(), Name: in.Name, Description: in.Description, CreatedAt: now, UpdatedAt: now}
	if err := core.ValidateScope(sc); err != nil {
		return core.Scope{}, err
	}
	if err := core.AuthorizeScopeChange(caller, core.ScopeCreate, core.Scope{}, sc); err != nil {
		return core.Scope{}, err
	}
	if err := s.repo.CreateScope(ctx, sc); err != nil {
		return core.Scope{}, err
	}
	s.audit.RecordChange(ctx, core.AuditEvent{Type: core.AuditScopeCreated, SubjectID: sc.ID, Details: map[string]any{"name": sc.Name}})
	return sc, nil
}

// Ensure creates the named scope if it does not exist.
func (s *Scopes) Ensure(ctx context.Context, name, description string) error {
	found, err := s.repo.FindScopes(ctx, []string{name})
	if err != nil || len(found) > 0 {
		return err
	}
	_, err = s.Create(ctx, core.SystemCaller, ScopeInput{Name: name, Description: description})
	return err
}

// Get returns a scope.
func (s *Scopes) Get(ctx context.Context, id string) (core.Scope, error) {
	return s.repo.GetScope(ctx, id)
}

// List returns a page of scopes and the next cursor ("" at the end).
func (s *Scopes) List(ctx context.Context, limit int, cursor string) ([]core.Scope, string, error) {
	p, err := parsePage(limit, cursor)
	if err != nil {
		return nil, "", err
	}
	items, err := s.repo.ListScopes(ctx, p)
	if err != nil {
		return nil, "", err
	}
	items, next := nextPage(items, p.Limit, func(sc core.Scope) string { return sc.ID })
	return items, next, nil
}

// Update replaces a scope's name and description for caller. A scope held
// by a client cannot be renamed (core.ErrConflict); a management scope
// cannot be changed at all (*core.ForbiddenError).
func (s *Scopes) Update(ctx context.Context, caller core.Caller, id string, in ScopeInput) (core.Scope, error) {
	sc, err := s.repo.UpdateScope(ctx, id, func(sc core.Scope) (core.Scope, error) {
		before := sc
		sc.Name, sc.Description, sc.UpdatedAt = in.Name, in.Description, s.clock.Now()
		if err := core.ValidateScope(sc); err != nil {
			return sc, err
		}
		if err := core.AuthorizeScopeChange(caller, core.ScopeUpdate, before, sc); err != nil {
			return sc, err
		}
		return sc, nil
	})
	if err != nil {
		return core.Scope{}, err
	}
	s.audit.RecordChange(ctx, core.AuditEvent{Type: core.AuditScopeUpdated, SubjectID: sc.ID, Details: map[string]any{"name": sc.Name}})
	return sc, nil
}

// Delete removes a scope no client holds, for caller; a management scope
// cannot be deleted (*core.ForbiddenError).
func (s *Scopes) Delete(ctx context.Context, caller core.Caller, id string) error {
	sc, err := s.repo.GetScope(ctx, id)
	if err != nil {
		return err
	}
	if err := core.AuthorizeScopeChange(caller, core.ScopeDelete, sc, core.Scope{}); err != nil {
		return err
	}
	if err := s.repo.DeleteScope(ctx, id); err != nil {
		return err
	}
	s.audit.RecordChange(ctx, core.AuditEvent{Type: core.AuditScopeDeleted, SubjectID: id})
	return nil
}

// MaxDiscoverableScopes caps the scopes listed in the metadata: RFC 8414 §2
// lets a server leave some out, and one unauthenticated metadata request
// must not read an unbounded table.
const MaxDiscoverableScopes = 1000

// Discoverable returns the names of the scopes a client may learn from the
// metadata document (RFC 8414 §2 scopes_supported), sorted: every registered
// scope but the management scopes, which only operators are given and no
// client should be led to ask for. At most MaxDiscoverableScopes.
func (s *Scopes) Discoverable(ctx context.Context) ([]string, error) {
	var names []string
	p := core.Page{Limit: core.MaxPageLimit}
	for len(names) < MaxDiscoverableScopes {
		items, err := s.repo.ListScopes(ctx, p)
		if err != nil {
			return nil, err
		}
		for _, sc := range items {
			if !slices.Contains(core.ManagementScopes(), sc.Name) && len(names) < MaxDiscoverableScopes {
				names = append(names, sc.Name)
			}
		}
		if len(items) < p.Limit {
			break
		}
		p.After = items[len(items)-1].ID
	}
	slices.Sort(names)
	return names, nil
}

// Descriptions returns the description of each scope among names that
// exists and has one, by name, for the consent page.
func (s *Scopes) Descriptions(ctx context.Context, names []string) (map[string]string, error) {
	found, err := s.repo.FindScopes(ctx, names)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(found))
	for _, sc := range found {
		if sc.Description != "" {
			out[sc.Name] = sc.Description
		}
	}
	return out, nil
}
