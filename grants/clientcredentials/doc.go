// Package clientcredentials is the client_credentials grant of RFC 6749
// §4.4: a confidential client gets an access token for itself.
package clientcredentials
