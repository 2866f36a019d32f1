package jwt

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
)

// The asymmetric JWS algorithms of RFC 7518 §3.3, §3.4 and RFC 8037 §3.1.
const (
	RS256 = "RS256"
	ES256 = "ES256"
	EdDSA = "EdDSA"
)

// MinRSABits is the smallest RSA modulus accepted (RFC 7518 §3.3).
const MinRSABits = 2048

// ErrNoPrivateKey means a PEM document holds no private key block.
var ErrNoPrivateKey = errors.New("no PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block")

// IsAsymmetric reports whether alg is one of RS256, ES256 and EdDSA.
func IsAsymmetric(alg string) bool {
	return alg == RS256 || alg == ES256 || alg == EdDSA
}

// ParsePrivateKey reads the first private key of a PEM document: PKCS#8
// ("PRIVATE KEY"), PKCS#1 ("RSA PRIVATE KEY") or SEC 1 ("EC PRIVATE
// KEY"). Other blocks, such as "EC PARAMETERS" or certificates, are
// skipped. Encrypted keys are refused.
func ParsePrivateKey(data []byte) (crypto.Signer, error) {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, ErrNoPrivateKey
		}
		if _, encrypted := block.Headers["Proc-Type"]; encrypted {
			return nil, errors.New("the key is encrypted; give it unencrypted and protect the file instead")
		}
		var (
			key any
			err error
		)
		switch block.Type {
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		case "ENCRYPTED PRIVATE KEY":
			return nil, errors.New("the key is encrypted; give it unencrypted and protect the file instead")
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s block: %w", block.Type, err)
		}
		signer, ok := key.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("%s block: %T is not a signing key", block.Type, key)
		}
		return signer, nil
	}
}

// CheckKey reports whether key can sign under alg: an RSA key of at least
// MinRSABits for RS256, a P-256 key for ES256, an Ed25519 key for EdDSA.
func CheckKey(alg string, key crypto.Signer) error {
	switch alg {
	case RS256:
		k, ok := key.(*rsa.PrivateKey)
		if !ok {
			return fmt.Errorf("RS256 needs an RSA key, got %s", keyKind(key))
		}
		if bits := k.N.BitLen(); bits < MinRSABits {
			return fmt.Errorf("RS256 needs an RSA key of at least %d bits, got %d", MinRSABits, bits)
		}
	case ES256:
		k, ok := key.(*ecdsa.PrivateKey)
		if !ok {
			return fmt.Errorf("ES256 needs an ECDSA P-256 key, got %s", keyKind(key))
		}
		if k.Curve != elliptic.P256() {
			return fmt.Errorf("ES256 needs an ECDSA P-256 key, got %s", keyKind(key))
		}
	case EdDSA:
		if _, ok := key.(ed25519.PrivateKey); !ok {
			return fmt.Errorf("EdDSA needs an Ed25519 key, got %s", keyKind(key))
		}
	default:
		return fmt.Errorf("%q is not RS256, ES256 or EdDSA", alg)
	}
	return nil
}

func keyKind(key crypto.Signer) string {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return fmt.Sprintf("an RSA %d-bit key", k.N.BitLen())
	case *ecdsa.PrivateKey:
		return "an ECDSA " + k.Curve.Params().Name + " key"
	case ed25519.PrivateKey:
		return "an Ed25519 key"
	default:
		return fmt.Sprintf("a %T", key)
	}
}

// GenerateKey makes a new key for alg: RSA 2048 bits, P-256 or Ed25519.
func GenerateKey(alg string) (crypto.Signer, error) {
	switch alg {
	case RS256:
		return rsa.GenerateKey(rand.Reader, MinRSABits)
	case ES256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case EdDSA:
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	default:
		return nil, fmt.Errorf("%q is not RS256, ES256 or EdDSA", alg)
	}
}

// MarshalPrivateKey encodes key as a PKCS#8 PEM document.
func MarshalPrivateKey(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// GeneratePEM makes a new key for alg and returns it as PKCS#8 PEM, the
// form in which a ports.SigningKeyStore keeps it.
func GeneratePEM(alg string) ([]byte, error) {
	key, err := GenerateKey(alg)
	if err != nil {
		return nil, fmt.Errorf("generate %s key: %w", alg, err)
	}
	return MarshalPrivateKey(key)
}

// JWK is a public JSON Web Key (RFC 7517 §4) for one of the asymmetric
// algorithms: RSA (RFC 7518 §6.3.1), EC (RFC 7518 §6.2.1) or OKP
// (RFC 8037 §2).
type JWK struct {
	Kty string `json:"kty"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
}

// publicJWK returns the public key of key as a JWK for alg, with kid set
// to its RFC 7638 thumbprint.
func publicJWK(alg string, key crypto.Signer) (JWK, error) {
	b64 := base64.RawURLEncoding.EncodeToString
	var (
		k    JWK
		base any // the required members, whose JSON in member order is the thumbprint input
	)
	switch pub := key.Public().(type) {
	case *rsa.PublicKey:
		k = JWK{Kty: "RSA", N: b64(pub.N.Bytes()), E: b64(big.NewInt(int64(pub.E)).Bytes())}
		base = struct {
			E   string `json:"e"`
			Kty string `json:"kty"`
			N   string `json:"n"`
		}{k.E, k.Kty, k.N}
	case *ecdsa.PublicKey:
		point, err := pub.Bytes() // 0x04 || X || Y, each padded to the field size
		if err != nil {
			return JWK{}, fmt.Errorf("encode EC public key: %w", err)
		}
		size := (len(point) - 1) / 2
		k = JWK{Kty: "EC", Crv: pub.Curve.Params().Name, X: b64(point[1 : 1+size]), Y: b64(point[1+size:])}
		base = struct {
			Crv string `json:"crv"`
			Kty string `json:"kty"`
			X   string `json:"x"`
			Y   string `json:"y"`
		}{k.Crv, k.Kty, k.X, k.Y}
	case ed25519.PublicKey:
		k = JWK{Kty: "OKP", Crv: "Ed25519", X: b64(pub)}
		base = struct {
			Crv string `json:"crv"`
			Kty string `json:"kty"`
			X   string `json:"x"`
		}{k.Crv, k.Kty, k.X}
	default:
		return JWK{}, fmt.Errorf("unsupported public key %T", pub)
	}
	canonical, err := json.Marshal(base)
	if err != nil {
		return JWK{}, fmt.Errorf("encode JWK thumbprint input: %w", err)
	}
	sum := sha256.Sum256(canonical)
	k.Use, k.Alg, k.Kid = "sig", alg, b64(sum[:])
	return k, nil
}
