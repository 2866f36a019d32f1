// Package devicecode is the OAuth 2.0 Device Authorization Grant of RFC
// 8628, written only against the grants plugin interface: it contributes
// the device authorization endpoint (POST /oauth/device_authorization,
// §3.1), the verification page (/device, §3.3) where a signed-in person
// enters the user code and approves or denies, and the token endpoint's
// grant_type urn:ietf:params:oauth:grant-type:device_code (§3.4), with
// the polling errors of §3.5.
package devicecode
