// Package integration tests identityd through HTTP against the whole
// application started in-process (app/apptest): every route, status code
// and error shape of the contract.
package integration
