package core

import (
	"net"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// IdentityProvider is an upstream OpenID Provider people may sign in with
// (OpenID Connect Core 1.0 §3.1, identityd acting as the relying party).
// ClientSecretSealed is the client secret sealed by a ports.Sealer; it is
// never returned by the API.
type IdentityProvider struct {
	// ID names the provider in URLs: [a-z0-9-]{2,32}.
	ID string
	// Name is what the sign-in button says: "Sign in with {Name}".
	Name string
	// Issuer is the provider's issuer identifier (OpenID Connect
	// Discovery 1.0 §3), or EntraMultiTenantIssuer.
	Issuer             string
	ClientID           string
	ClientSecretSealed []byte
	// Scopes are asked for besides openid (which is always asked for).
	Scopes []string
	// LinkByEmail lets a first upstream sign-in whose verified e-mail
	// belongs to an existing person link to that person, once the person
	// has proved the account theirs with its own credentials.
	LinkByEmail bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// EntraMultiTenantIssuer is the issuer Microsoft Entra ID's multi-tenant
// ("common", "organizations") discovery documents name: the id_token's
// iss has the tenant's id, its tid claim, in place of {tenantid}.
const EntraMultiTenantIssuer = "https://login.microsoftonline.com/{tenantid}/v2.0"

// EntraTenantPlaceholder is the part of EntraMultiTenantIssuer that a
// tenant id fills.
const EntraTenantPlaceholder = "{tenantid}"

// IsEntraID reports whether issuer is Microsoft Entra ID's, one tenant's
// or the multi-tenant template: its email claim is not verified by
// Microsoft and may be set by the tenant's own users (the "nOAuth" class),
// so identityd never takes it as verified.
func IsEntraID(issuer string) bool {
	u, err := url.Parse(issuer)
	if err != nil {
		return false
	}
	host := strings.ToLower(u.Host)
	return host == "login.microsoftonline.com" || host == "sts.windows.net" || strings.HasSuffix(host, ".ciamlogin.com")
}

// EntraIssuerFor returns the issuer an id_token of tenant tid must carry
// under the multi-tenant template, or "" when tid is not a tenant id (a
// GUID), so no claim can make up another issuer.
func EntraIssuerFor(tid string) string {
	if !isGUID(tid) {
		return ""
	}
	return strings.Replace(EntraMultiTenantIssuer, EntraTenantPlaceholder, strings.ToLower(tid), 1)
}

func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
		default:
			return false
		}
	}
	return true
}

// ValidIdentityProviderID reports whether id matches [a-z0-9-]{2,32}.
func ValidIdentityProviderID(id string) bool {
	if len(id) < 2 || len(id) > 32 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// ValidateIssuerURL reports a problem with an issuer identifier, or "":
// an absolute https URL without query or fragment (OpenID Connect
// Discovery 1.0 §2), http only to a loopback host (a provider on the same
// machine, in tests and development).
func ValidateIssuerURL(issuer string) string {
	if issuer == "" {
		return "is required"
	}
	if len(issuer) > 512 {
		return "must be at most 512 characters"
	}
	u, err := url.Parse(issuer)
	if err != nil || !u.IsAbs() || u.Host == "" || u.User != nil {
		return "must be an absolute URL"
	}
	if u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(issuer, "?#") {
		return "must not have a query or fragment"
	}
	switch u.Scheme {
	case "https":
		return ""
	case "http":
		if isLoopbackHost(u.Hostname()) {
			return ""
		}
		return "must use https (http only on a loopback address)"
	}
	return "must use https"
}

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// MaxIdentityProviderScopes bounds the scopes a provider asks for.
const MaxIdentityProviderScopes = 20

// ValidateIdentityProvider checks a provider's own fields and the client
// secret given with them; a nil secret keeps the stored one (an update).
func ValidateIdentityProvider(p IdentityProvider, secret *string) error {
	var v ValidationError
	if p.ID == "" {
		v.Add("id", "is required")
	} else if !ValidIdentityProviderID(p.ID) {
		v.Add("id", "must be 2 to 32 characters of a-z 0-9 -")
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(p.Name)); n == 0 || n > 100 {
		v.Add("name", "is required and must be at most 100 characters")
	}
	if msg := ValidateIssuerURL(p.Issuer); msg != "" {
		v.Add("issuer", msg)
	}
	if p.ClientID == "" {
		v.Add("client_id", "is required")
	} else if len(p.ClientID) > 255 {
		v.Add("client_id", "must be at most 255 characters")
	}
	if secret != nil {
		if msg := validateClientSecretText(*secret); msg != "" {
			v.Add("client_secret", msg)
		}
	}
	if len(p.Scopes) > MaxIdentityProviderScopes {
		v.Add("scopes", "must be at most 20")
	}
	for _, s := range p.Scopes {
		if !ValidScopeToken(s) {
			v.Add("scopes", "invalid scope name: "+s)
			break
		}
	}
	return v.Err()
}

// validateClientSecretText reports a problem with an upstream client
// secret, or "".
func validateClientSecretText(secret string) string {
	switch {
	case secret == "":
		return "is required"
	case len(secret) > 1024:
		return "must be at most 1024 characters"
	}
	return ""
}

// UpstreamScopes are the scopes asked of the provider: openid first, then
// the provider's, once each.
func (p IdentityProvider) UpstreamScopes() []string {
	out := []string{"openid"}
	for _, s := range p.Scopes {
		if !contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// IdentityLink ties a person to their account at an upstream provider,
// keyed by the provider's (Issuer, Subject) (OpenID Connect Core §5.7:
// "the sub and iss Claims, used together, are the only Claims that an RP
// can rely upon as a stable identifier").
type IdentityLink struct {
	UserID     string
	ProviderID string
	Issuer     string
	Subject    string
	// Email is the upstream address at linking, for people to recognise
	// the link; it identifies nothing.
	Email     string
	CreatedAt time.Time
}

// UpstreamIdentity is what a verified upstream id_token says about the
// person (OpenID Connect Core §2, §5.1).
type UpstreamIdentity struct {
	Issuer        string
	Subject       string
	Email         string
	EmailVerified bool
	GivenName     string
	FamilyName    string
	Name          string
}

// LinkDecision is what an upstream sign-in without a link may do.
type LinkDecision int

// Link decisions.
const (
	// LinkCreate: nobody has the address; a new person is made.
	LinkCreate LinkDecision = iota
	// LinkAfterProof: the address is taken, and the provider may link to
	// it once the person proves the account theirs.
	LinkAfterProof
	// LinkRefusedNotAllowed: the address is taken and the provider is
	// not allowed to link by e-mail.
	LinkRefusedNotAllowed
	// LinkRefusedUnverified: the address is taken but the provider did
	// not say it verified it (or is Entra ID, whose email claim is never
	// taken as verified).
	LinkRefusedUnverified
	// LinkRefusedNoEmail: the provider gave no usable address, so no
	// account can be made.
	LinkRefusedNoEmail
)

// DecideLink is the account-linking rule for an upstream identity id that
// no person is linked to yet: taken tells whether a person already has
// id's e-mail. An address alone never signs anyone in to an existing
// account: linking needs LinkByEmail on, the provider's email_verified
// true, and then the person's own credentials (LinkAfterProof).
func DecideLink(p IdentityProvider, id UpstreamIdentity, taken bool) LinkDecision {
	switch {
	case !taken && id.Email == "":
		return LinkRefusedNoEmail
	case !taken:
		return LinkCreate
	case !p.LinkByEmail:
		return LinkRefusedNotAllowed
	case !id.EmailVerified:
		return LinkRefusedUnverified
	}
	return LinkAfterProof
}

// Audit event types of upstream sign-in (contract §7).
const (
	AuditIdPCreated   = "idp.created"
	AuditIdPUpdated   = "idp.updated"
	AuditIdPDeleted   = "idp.deleted"
	AuditUserLinked   = "user.linked"
	AuditUserUnlinked = "user.unlinked"
)

// ChangeIdentityProvider is the change-log kind of a created, changed or
// deleted identity provider; Key is its id.
const ChangeIdentityProvider = "idp.changed"

// AMRFederated is the amr value of a sign-in through an upstream provider
// (RFC 8176 §2: "fed", federated authentication).
const AMRFederated = "fed"

// UpstreamError is an upstream sign-in that did not succeed: the provider
// answered with an error (RFC 6749 §4.1.2.1, Code is its error code) or
// its answer did not verify (Code is UpstreamInvalid).
type UpstreamError struct {
	Code        string
	Description string
	Err         error
}

// UpstreamInvalid is the UpstreamError code of an answer from the
// provider that did not verify (a bad id_token, a refused code).
const UpstreamInvalid = "invalid_upstream_response"

// Error implements error.
func (e *UpstreamError) Error() string {
	s := "upstream sign-in: " + e.Code
	if e.Description != "" {
		s += ": " + e.Description
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *UpstreamError) Unwrap() error { return e.Err }

// AcceptsResponseIssuer applies RFC 9207 §2.4 to the iss parameter of an
// authorization response from p: absent is accepted (not every provider
// sends it), present must be p's issuer, or under the Entra ID
// multi-tenant template an issuer of the template's form (the tenant is
// checked against the id_token's tid afterwards). A different issuer means
// the response came from another provider than the one asked (mix-up).
func (p IdentityProvider) AcceptsResponseIssuer(iss string) bool {
	switch {
	case iss == "":
		return true
	case iss == p.Issuer:
		return true
	case p.Issuer == EntraMultiTenantIssuer:
		prefix, suffix, _ := strings.Cut(EntraMultiTenantIssuer, EntraTenantPlaceholder)
		tid, ok := strings.CutPrefix(iss, prefix)
		if !ok {
			return false
		}
		tid, ok = strings.CutSuffix(tid, suffix)
		return ok && isGUID(tid)
	}
	return false
}

// NoPassword is the PasswordHash of a person without a password (made by
// an upstream sign-in): no password matches it. A password reset sets one.
const NoPassword = "!"

// HasPassword reports whether u can sign in with a password.
func HasPassword(u User) bool { return u.PasswordHash != "" && u.PasswordHash != NoPassword }
