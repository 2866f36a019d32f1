// Package authorizationcode is the authorization_code grant of RFC 6749
// §4.1 with PKCE (RFC 7636): the token endpoint half, which redeems a code
// issued by the authorization endpoint for tokens. Codes are single-use and
// bound to the client, redirect_uri, scope, user and PKCE challenge.
package authorizationcode
