// Package oidcrp is identityd's OpenID Connect relying party towards
// upstream identity providers (ports.UpstreamOIDC), built on
// github.com/coreos/go-oidc/v3 and golang.org/x/oauth2: discovery (OpenID
// Connect Discovery 1.0 §4), the authorization code flow with PKCE S256
// (RFC 7636) and the id_token's validation (OpenID Connect Core 1.0
// §3.1.3.7): its signature by the provider's JWKS (a key set that fetches
// again when it meets an unknown kid, so the provider may rotate keys),
// iss, aud, azp, exp and nonce.
//
// Discovery documents and key sets are cached per issuer for CacheTTL, at
// most MaxProviders of them; every request to a provider is bounded in
// time (RequestTimeout) and size (MaxResponseBytes).
package oidcrp
