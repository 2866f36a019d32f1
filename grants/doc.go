// Package grants is the plugin mechanism for OAuth 2.0 grant types. Each
// grant type is a package below this one that exports an fx Module
// providing a Grant into the "grants" value group; the token endpoint
// dispatches over the Registry built from that group and knows no grant by
// name.
package grants
