// Package tokenexchange is OAuth 2.0 Token Exchange (RFC 8693) as a grant
// module: a confidential client registered for
// urn:ietf:params:oauth:grant-type:token-exchange trades an access token
// of this server (the subject token) for a new access token with the same
// subject and a scope and audience that can only be narrower, optionally
// acting for it with an actor token (delegation: the act claim, nested
// along a chain).
package tokenexchange
