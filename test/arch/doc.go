// Package arch checks the direction of dependencies between identityd's
// layers: the domain knows no adapter, transport, SQL, Redis or fx.
package arch
