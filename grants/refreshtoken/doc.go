// Package refreshtoken is the refresh_token grant of RFC 6749 §6 with
// rotation: every use retires the presented token and issues a successor in
// the same family, and presenting a retired token revokes the family
// (RFC 9700 §4.14.2). The scope may be narrowed, never widened.
package refreshtoken
