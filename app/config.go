package app

import (
	"crypto"
	"errors"
	"fmt"
	goredis "github.com/redis/go-redis/v9"
	"log/slog"
	"net"
	netmail "net/mail"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/identityd/identityd/adapters/jwt"
	"github.com/identityd/identityd/adapters/telemetry"
	"github.com/identityd/identityd/core"
)

// Config is the whole configuration, loaded and validated once at start.
type Config struct {
	Env       string
	Version   string
	IssuerURL string
	HTTP      HTTPConfig
	Tokens    TokenConfig
	Passwords PasswordConfig
	Log       LogConfig
	Database  DatabaseConfig
	Redis     RedisConfig
	RateLimit RateLimitConfig
	Bootstrap BootstrapConfig
	OTel      OTelConfig
	Mail      MailConfig
	MFA       MFAConfig
	Audit     AuditConfig
	Brand     BrandConfig
	// Warnings are printed once at start; they are not errors.
	Warnings []string
}

// MFAConfig configures second factors.
type MFAConfig struct {
	// RequiredRoles is MFA_REQUIRED_ROLES: people holding any of these
	// roles must have a second factor before anything is issued to
	// them. Default: admin in production, none otherwise.
	RequiredRoles []string
	// WebAuthnRPID is WEBAUTHN_RP_ID, the relying-party id of passkeys
	// (WebAuthn Level 2 §5.1.2): a domain, by default the host of
	// ISSUER_URL; each of WebAuthnOrigins must be it or below it.
	WebAuthnRPID string
	// WebAuthnOrigins is WEBAUTHN_ORIGINS, the origins (scheme://host[:port])
	// a passkey ceremony may come from; by default ISSUER_URL's origin.
	WebAuthnOrigins []string
}

// AuditConfig configures the audit log.
type AuditConfig struct {
	// Retention is AUDIT_RETENTION: events older than this are deleted by
	// the janitor.
	Retention time.Duration
}

// BrandConfig is the name, logo and colour every page and mail carries
// (BRAND_NAME, BRAND_LOGO_URL, BRAND_PRIMARY_COLOR).
type BrandConfig struct {
	// Name replaces "identityd" where a page or mail names the service.
	Name string
	// LogoURL is an absolute https URL (http on a loopback host) or a path
	// on this server; empty: the built-in mark.
	LogoURL string
	// PrimaryColor is a CSS hex colour (#rgb or #rrggbb); empty: the
	// built-in blue.
	PrimaryColor string
}

// MinAuditRetention is the shortest AUDIT_RETENTION accepted.
const MinAuditRetention = time.Hour

// HTTPConfig configures the listener.
type HTTPConfig struct {
	Port            int
	TLSCertFile     string
	TLSKeyFile      string
	TrustedProxies  []netip.Prefix
	CORSOrigins     []string
	ShutdownTimeout time.Duration
	// DrainDelay is how long /readyz answers 503 after SIGTERM before the
	// listener closes, so a load balancer stops sending new requests.
	DrainDelay time.Duration
	// PprofAddr is where the runtime profiles (net/http/pprof) are served,
	// on a listener of their own; empty: not at all. See pprofAddr.
	PprofAddr string
}

// TokenConfig configures signing and lifetimes.
type TokenConfig struct {
	Secret         []byte
	RefreshSecret  []byte
	SigningAlg     string
	PrivateKeyFile string
	// PrivateKey is the key read from PrivateKeyFile, checked against
	// SigningAlg; nil when no file is given (the key then comes from the
	// store).
	PrivateKey crypto.Signer
	// PreviousSecret is a former JWT_SECRET that still verifies HS256
	// access tokens (JWT_SECRET_PREVIOUS); nil when unset.
	PreviousSecret []byte
	// PreviousRefreshSecret is a former JWT_REFRESH_SECRET
	// (JWT_REFRESH_SECRET_PREVIOUS) whose hashes, session cookies and
	// sealed signing keys are still read, never made; nil when unset.
	PreviousRefreshSecret []byte
	// NextSecret is the JWT_SECRET to come (JWT_SECRET_NEXT): it
	// verifies HS256 access tokens, never signs; nil when unset.
	NextSecret []byte
	// NextRefreshSecret is the JWT_REFRESH_SECRET to come
	// (JWT_REFRESH_SECRET_NEXT): what it hashed, signed or sealed is
	// read, never made; nil when unset.
	NextRefreshSecret []byte
	// JWKSCacheMaxAge is the max-age of the JWKS response
	// (JWKS_CACHE_MAX_AGE): a new stored signing key is published at
	// least this long before it signs.
	JWKSCacheMaxAge time.Duration
	// RotationInterval rotates the stored signing keys by itself
	// (SIGNING_KEY_ROTATION_INTERVAL); zero: only by `identityd keys
	// rotate`.
	RotationInterval time.Duration
	AccessTTL        time.Duration
	RefreshTTL       time.Duration
	// RefreshReuseInterval: see service.TokenConfig.ReuseInterval.
	RefreshReuseInterval time.Duration
	AuthCodeTTL          time.Duration
	ResetTTL             time.Duration
	// DeviceCodeTTL is DEVICE_CODE_EXPIRY (RFC 8628 device codes).
	DeviceCodeTTL time.Duration
}

// PasswordConfig configures password hashing.
type PasswordConfig struct{ BcryptCost int }

// LogConfig configures logging.
type LogConfig struct {
	Level slog.Level
	File  string
}

// DatabaseConfig configures PostgreSQL; an empty URL means in memory.
type DatabaseConfig struct {
	URL             string
	AutoMigrate     bool
	MaxOpenConns    int
	MaxIdleConns    int
	ConnMaxLifetime time.Duration
	ConnMaxIdleTime time.Duration
}

// RedisConfig configures Redis; an empty URL means in memory.
type RedisConfig struct {
	URL       string
	KeyPrefix string
	// Cluster: URL names one seed node of a Redis Cluster, further seeds
	// as ?addr=host:port (REDIS_CLUSTER).
	Cluster bool
}

// RateLimitConfig holds the thresholds of contract §6.
type RateLimitConfig struct {
	Enabled bool
	Global  core.RateLimit
	Auth    core.RateLimit
	Token   core.RateLimit
	Scopes  core.RateLimit
	Clients core.RateLimit
}

// BootstrapConfig names the admin user and client created at start.
type BootstrapConfig struct {
	AdminEmail        string
	AdminPassword     string
	AdminClientID     string
	AdminClientSecret string
}

// OTelConfig carries the standard OTEL_* variables to the telemetry setup,
// and METRICS_ADDR.
type OTelConfig struct {
	Endpoint string
	Protocol string
	Headers  string
	// ServiceName is OTEL_SERVICE_NAME; empty: service.name of
	// OTEL_RESOURCE_ATTRIBUTES, else "identityd".
	ServiceName string
	// ResourceAttributes is OTEL_RESOURCE_ATTRIBUTES, decoded.
	ResourceAttributes map[string]string
	// MetricsTemporality is OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE:
	// cumulative (default), delta or lowmemory.
	MetricsTemporality string
	// TracesSampler and TracesSamplerArg are OTEL_TRACES_SAMPLER and
	// OTEL_TRACES_SAMPLER_ARG (telemetry.ParseSampler).
	TracesSampler    string
	TracesSamplerArg string
	// MetricsAddr is METRICS_ADDR: where GET /metrics answers in the
	// Prometheus text format; empty: nowhere.
	MetricsAddr string
	// MetricInterval is OTEL_METRIC_EXPORT_INTERVAL (milliseconds in the
	// variable) and Timeout OTEL_EXPORTER_OTLP_TIMEOUT (milliseconds too).
	MetricInterval time.Duration
	Timeout        time.Duration
}

// MailConfig configures outgoing mail: reset and verification messages.
type MailConfig struct {
	// SMTP is the parsed SMTP_URL; nil means no mail is sent.
	SMTP *url.URL
	// From is the sender, MAIL_FROM, as an RFC 5322 address.
	From string
}

// Lookup reads one variable, like os.LookupEnv.
type Lookup func(string) (string, bool)

// Environments.
const (
	EnvDevelopment = "development"
	EnvTest        = "test"
	EnvProduction  = "production"
)

// Production reports whether the server runs in production mode.
func (c Config) Production() bool { return c.Env == EnvProduction }

// InMemory reports whether no external store is configured.
func (c Config) InMemory() bool { return c.Database.URL == "" && c.Redis.URL == "" }

type loader struct {
	lookup Lookup
	errs   []error
}

func (l *loader) fail(format string, args ...any) {
	l.errs = append(l.errs, fmt.Errorf(format, args...))
}

func (l *loader) str(name, def string) string {
	if v, ok := l.lookup(name); ok && v != "" {
		return v
	}
	return def
}

func (l *loader) integer(name string, def, min, max int) int {
	v := l.str(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		l.fail("%s: must be a whole number from %d to %d, got %q", name, min, max, v)
		return def
	}
	return n
}

func (l *loader) boolean(name string, def bool) bool {
	v := l.str(name, "")
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		l.fail("%s: must be true or false, got %q", name, v)
		return def
	}
	return b
}

// ParseDuration accepts Go durations ("15m", "1h30m") and whole days ("7d")
// (core.ParseDuration).
func ParseDuration(s string) (time.Duration, error) { return core.ParseDuration(s) }

func (l *loader) duration(name string, def time.Duration) time.Duration {
	v := l.str(name, "")
	if v == "" {
		return def
	}
	d, err := ParseDuration(v)
	if err != nil || d <= 0 {
		l.fail("%s: must be a positive duration such as 15m, 12h or 7d, got %q", name, v)
		return def
	}
	return d
}

// MaxRefreshReuseInterval bounds REFRESH_TOKEN_REUSE_INTERVAL: the interval
// is for requests in flight at the same moment, and every second of it is a
// second in which a stolen refresh token is replayed undetected.
const MaxRefreshReuseInterval = 5 * time.Minute

// reuseInterval reads REFRESH_TOKEN_REUSE_INTERVAL: 0 (the default) up to
// MaxRefreshReuseInterval.
func (l *loader) reuseInterval(name string) time.Duration {
	v := l.str(name, "")
	if v == "" {
		return 0
	}
	d, err := ParseDuration(v)
	if err != nil || d < 0 || d > MaxRefreshReuseInterval {
		l.fail("%s: must be a duration from 0s to 5m such as 0s or 10s, got %q", name, v)
		return 0
	}
	return d
}

// pprofAddr reads the profiling listener's address. A bare port ("6060"
// or ":6060") means 127.0.0.1: unlike net.Listen, an empty host never
// means every interface. Loopback addresses and "localhost" are accepted
// as they are. Any other host must be an IP address written out in full
// (0.0.0.0 or an interface's address): that is the explicit choice to
// expose the profiles, which carry no authentication, and it is warned
// about at start. A host name is refused, since what it resolves to can
// change.
func (l *loader) pprofAddr(name string, c *Config) string {
	v := strings.TrimSpace(l.str(name, ""))
	if v == "" {
		return ""
	}
	if !strings.Contains(v, ":") {
		v = ":" + v
	}
	host, port, err := net.SplitHostPort(v)
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
		l.fail("%s: must be host:port or a port, such as 127.0.0.1:6060, got %q", name, v)
		return ""
	}
	switch {
	case host == "" || strings.EqualFold(host, "localhost"):
		return net.JoinHostPort("127.0.0.1", port)
	default:
		ip, err := netip.ParseAddr(host)
		if err != nil {
			l.fail("%s: the host must be an IP address (a name may resolve to a public interface), got %q", name, host)
			return ""
		}
		if !ip.IsLoopback() {
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s: the profiling endpoints listen on %s, beyond loopback and without authentication", name, v))
		}
		return net.JoinHostPort(ip.String(), port)
	}
}

// rate reads "N/duration", e.g. "1000/1h".
func (l *loader) rate(name string, def core.RateLimit) core.RateLimit {
	v := l.str(name, "")
	if v == "" {
		return def
	}
	n, w, ok := strings.Cut(v, "/")
	limit, err1 := strconv.Atoi(n)
	window, err2 := ParseDuration(w)
	if !ok || err1 != nil || err2 != nil || limit < 1 || window <= 0 {
		l.fail("%s: must be requests/window such as 100/15m, got %q", name, v)
		return def
	}
	return core.RateLimit{Limit: limit, Window: window}
}

// LoadConfig reads and validates the configuration. The error joins one
// error per problem found; no message contains a secret's value.
func LoadConfig(lookup Lookup) (Config, error) {
	l := &loader{lookup: lookup}
	var c Config
	c.Env = l.env()
	c.HTTP.Port = l.integer("PORT", 8080, 0, 65535)
	c.IssuerURL = strings.TrimRight(l.str("ISSUER_URL", fmt.Sprintf("http://localhost:%d", c.HTTP.Port)), "/")
	if u, err := url.Parse(c.IssuerURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		l.fail("ISSUER_URL: must be an absolute http(s) URL without query or fragment, got %q", c.IssuerURL)
	} else if c.Production() && u.Scheme != "https" {
		l.fail("ISSUER_URL: must use https in production (RFC 8414 §2)")
	}

	c.Tokens.Secret = l.secret("JWT_SECRET", c.Production(), &c)
	c.Tokens.RefreshSecret = l.secret("JWT_REFRESH_SECRET", c.Production(), &c)
	if len(c.Tokens.Secret) > 0 && string(c.Tokens.Secret) == string(c.Tokens.RefreshSecret) {
		l.fail("JWT_REFRESH_SECRET: must differ from JWT_SECRET")
	}
	c.Tokens.SigningAlg = l.str("JWT_SIGNING_ALG", "HS256")
	c.Tokens.PrivateKeyFile = l.str("JWT_PRIVATE_KEY_FILE", "")
	switch alg := c.Tokens.SigningAlg; {
	case alg == "HS256":
		if c.Tokens.PrivateKeyFile != "" {
			l.fail("JWT_PRIVATE_KEY_FILE: only used with JWT_SIGNING_ALG RS256, ES256 or EdDSA, and JWT_SIGNING_ALG is HS256")
		}
	case jwt.IsAsymmetric(alg):
		if c.Tokens.PrivateKeyFile != "" {
			c.Tokens.PrivateKey = l.privateKey("JWT_PRIVATE_KEY_FILE", c.Tokens.PrivateKeyFile, alg)
		}
	default:
		l.fail("JWT_SIGNING_ALG: must be HS256, RS256, ES256 or EdDSA, got %q", alg)
	}
	if v := l.str("JWT_SECRET_PREVIOUS", ""); v != "" {
		if c.Tokens.SigningAlg != "HS256" {
			l.fail("JWT_SECRET_PREVIOUS: only used with JWT_SIGNING_ALG HS256")
		}
		c.Tokens.PreviousSecret = l.secret("JWT_SECRET_PREVIOUS", true, &c)
		if string(c.Tokens.PreviousSecret) == string(c.Tokens.RefreshSecret) {
			l.fail("JWT_SECRET_PREVIOUS: must differ from JWT_REFRESH_SECRET")
		}
	}
	c.Tokens.PreviousRefreshSecret = l.previousRefreshSecret(c.Tokens)
	if l.str("JWT_SECRET_NEXT", "") != "" {
		if c.Tokens.SigningAlg != "HS256" {
			l.fail("JWT_SECRET_NEXT: only used with JWT_SIGNING_ALG HS256")
		}
		var ignored Config
		c.Tokens.NextSecret = l.secret("JWT_SECRET_NEXT", true, &ignored)
	}
	c.Tokens.NextRefreshSecret = l.nextRefreshSecret(c.Tokens)
	c.Tokens.JWKSCacheMaxAge = l.duration("JWKS_CACHE_MAX_AGE", 5*time.Minute)
	if d := c.Tokens.JWKSCacheMaxAge; d < time.Second || d > 24*time.Hour {
		l.fail("JWKS_CACHE_MAX_AGE: must be from 1s to 24h, got %s", d)
	}
	c.Tokens.RotationInterval = l.duration("SIGNING_KEY_ROTATION_INTERVAL", 0)
	if d := c.Tokens.RotationInterval; d > 0 && d < time.Minute {
		l.fail("SIGNING_KEY_ROTATION_INTERVAL: must be at least 1m, got %s", d)
	}
	c.Tokens.AccessTTL = l.duration("TOKEN_EXPIRY", 15*time.Minute)
	c.Tokens.RefreshTTL = l.duration("REFRESH_TOKEN_EXPIRY", 7*24*time.Hour)
	c.Tokens.RefreshReuseInterval = l.reuseInterval("REFRESH_TOKEN_REUSE_INTERVAL")
	c.Tokens.AuthCodeTTL = l.duration("AUTH_CODE_EXPIRY", 10*time.Minute)
	c.Tokens.ResetTTL = l.duration("PASSWORD_RESET_EXPIRY", time.Hour)
	c.Tokens.DeviceCodeTTL = l.duration("DEVICE_CODE_EXPIRY", 10*time.Minute)
	if c.Tokens.DeviceCodeTTL < 10*time.Second || c.Tokens.DeviceCodeTTL > 24*time.Hour {
		l.fail("DEVICE_CODE_EXPIRY: must be between 10s and 24h")
	}
	if c.Tokens.AccessTTL < time.Second {
		l.fail("TOKEN_EXPIRY: must be at least 1s")
	}

	c.Passwords.BcryptCost = l.integer("BCRYPT_COST", 12, 10, 31)
	c.MFA.RequiredRoles = l.roles("MFA_REQUIRED_ROLES", c.Production())
	c.MFA.WebAuthnRPID, c.MFA.WebAuthnOrigins = l.webAuthn(c.IssuerURL)

	c.Audit.Retention = l.duration("AUDIT_RETENTION", core.DefaultAuditRetention)
	if c.Audit.Retention < MinAuditRetention {
		l.fail("AUDIT_RETENTION: must be at least 1h, got %s", c.Audit.Retention)
	}

	l.logging(&c)

	c.HTTP.TLSCertFile, c.HTTP.TLSKeyFile = l.str("TLS_CERT_FILE", ""), l.str("TLS_KEY_FILE", "")
	if (c.HTTP.TLSCertFile == "") != (c.HTTP.TLSKeyFile == "") {
		l.fail("TLS_CERT_FILE and TLS_KEY_FILE: set both or neither")
	}
	for _, f := range []string{c.HTTP.TLSCertFile, c.HTTP.TLSKeyFile} {
		if f != "" {
			if _, err := os.Stat(f); err != nil {
				l.fail("TLS file %s: %v", f, errors.Unwrap(err))
			}
		}
	}
	for _, p := range splitList(l.str("TRUSTED_PROXIES", "")) {
		prefix, err := netip.ParsePrefix(p)
		if err != nil {
			addr, aerr := netip.ParseAddr(p)
			if aerr != nil {
				l.fail("TRUSTED_PROXIES: %q is not a CIDR or IP address", p)
				continue
			}
			prefix = netip.PrefixFrom(addr, addr.BitLen())
		}
		c.HTTP.TrustedProxies = append(c.HTTP.TrustedProxies, prefix.Masked())
	}
	for _, o := range splitList(l.str("CORS_ORIGIN", "")) {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			l.fail("CORS_ORIGIN: %q is not an origin such as https://app.example.com", o)
			continue
		}
		c.HTTP.CORSOrigins = append(c.HTTP.CORSOrigins, u.Scheme+"://"+u.Host)
	}
	c.HTTP.ShutdownTimeout = l.duration("SHUTDOWN_TIMEOUT", 15*time.Second)
	if v := l.str("SHUTDOWN_DRAIN_DELAY", ""); v == "0" || v == "0s" {
		c.HTTP.DrainDelay = 0
	} else {
		def := time.Duration(0)
		if c.Production() {
			def = 5 * time.Second
		}
		c.HTTP.DrainDelay = l.duration("SHUTDOWN_DRAIN_DELAY", def)
	}
	c.HTTP.PprofAddr = l.pprofAddr("PPROF_ADDR", &c)

	l.database(&c)
	c.Redis.URL = l.str("REDIS_URL", "")
	c.Redis.KeyPrefix = l.str("REDIS_KEY_PREFIX", "identityd:")
	c.Redis.Cluster = l.boolean("REDIS_CLUSTER", false)
	if c.Redis.URL != "" {
		if u, err := url.Parse(c.Redis.URL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") {
			l.fail("REDIS_URL: must be a redis:// or rediss:// URL")
		} else if c.Redis.Cluster {
			if _, err := goredis.ParseClusterURL(c.Redis.URL); err != nil {
				l.fail("REDIS_URL: with REDIS_CLUSTER=true must be a cluster URL (seed node, more as ?addr=host:port): %v", err)
			}
		}
	}

	if (c.Database.URL == "") != (c.Redis.URL == "") {
		l.fail("DATABASE_URL and REDIS_URL: set both (PostgreSQL and Redis) or neither (in memory)")
	}

	c.RateLimit.Enabled = l.boolean("RATE_LIMIT_ENABLED", true)
	c.RateLimit.Global = l.rate("RATE_LIMIT_GLOBAL", core.RateLimit{Limit: 1000, Window: time.Hour})
	c.RateLimit.Auth = l.rate("RATE_LIMIT_AUTH", core.RateLimit{Limit: 100, Window: 15 * time.Minute})
	c.RateLimit.Token = l.rate("RATE_LIMIT_TOKEN", core.RateLimit{Limit: 50, Window: time.Hour})
	c.RateLimit.Scopes = l.rate("RATE_LIMIT_SCOPES", core.RateLimit{Limit: 100, Window: time.Hour})
	c.RateLimit.Clients = l.rate("RATE_LIMIT_CLIENTS", core.RateLimit{Limit: 200, Window: time.Hour})

	b := &c.Bootstrap
	b.AdminEmail, b.AdminPassword = core.NormalizeEmail(l.str("BOOTSTRAP_ADMIN_EMAIL", "")), l.str("BOOTSTRAP_ADMIN_PASSWORD", "")
	if (b.AdminEmail == "") != (b.AdminPassword == "") {
		l.fail("BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD: set both or neither")
	} else if b.AdminEmail != "" {
		if msg := core.ValidateEmail(b.AdminEmail); msg != "" {
			l.fail("BOOTSTRAP_ADMIN_EMAIL: %s", msg)
		}
		switch {
		case c.Production() && isExample(b.AdminPassword):
			l.fail("BOOTSTRAP_ADMIN_PASSWORD: is the example value of .env.example; choose your own")
		case c.Production():
			// The rules every person's password follows.
			if msg := core.ValidatePassword(b.AdminPassword, b.AdminEmail); msg != "" {
				l.fail("BOOTSTRAP_ADMIN_PASSWORD: %s", msg)
			}
		case len(b.AdminPassword) < 8 || len(b.AdminPassword) > 72:
			l.fail("BOOTSTRAP_ADMIN_PASSWORD: must be 8 to 72 bytes long")
		}
	}
	b.AdminClientID, b.AdminClientSecret = l.str("BOOTSTRAP_ADMIN_CLIENT_ID", ""), l.str("BOOTSTRAP_ADMIN_CLIENT_SECRET", "")
	if (b.AdminClientID == "") != (b.AdminClientSecret == "") {
		l.fail("BOOTSTRAP_ADMIN_CLIENT_ID and BOOTSTRAP_ADMIN_CLIENT_SECRET: set both or neither")
	} else if b.AdminClientID != "" {
		if !core.ValidClientID(b.AdminClientID) {
			l.fail("BOOTSTRAP_ADMIN_CLIENT_ID: must be 1 to 128 characters of A-Z a-z 0-9 - . _ ~")
		}
		if len(b.AdminClientSecret) < 32 {
			l.fail("BOOTSTRAP_ADMIN_CLIENT_SECRET: must be at least 32 characters")
		}
		if c.Production() && isExample(b.AdminClientSecret) {
			l.fail("BOOTSTRAP_ADMIN_CLIENT_SECRET: is the example value of .env.example; generate your own")
		}
	}

	c.Mail = l.mail(c.IssuerURL, c.Production(), &c)
	c.Brand = l.brand()

	c.OTel = l.otel(c.HTTP.Port)
	return c, errors.Join(l.errs...)
}

// otel reads the OTEL_* variables the OpenTelemetry specification defines
// ("General SDK Configuration" and the OTLP exporter's) and METRICS_ADDR.
func (l *loader) otel(port int) OTelConfig {
	o := OTelConfig{
		Endpoint: l.str("OTEL_EXPORTER_OTLP_ENDPOINT", ""), Protocol: l.str("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
		Headers: l.str("OTEL_EXPORTER_OTLP_HEADERS", ""), ServiceName: strings.TrimSpace(l.str("OTEL_SERVICE_NAME", "")),
		MetricsTemporality: strings.ToLower(strings.TrimSpace(l.str("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", telemetry.TemporalityCumulative))),
		TracesSampler:      strings.ToLower(strings.TrimSpace(l.str("OTEL_TRACES_SAMPLER", "parentbased_always_on"))),
		TracesSamplerArg:   strings.TrimSpace(l.str("OTEL_TRACES_SAMPLER_ARG", "")),
	}
	// The specification gives these two in milliseconds.
	o.MetricInterval = time.Duration(l.integer("OTEL_METRIC_EXPORT_INTERVAL", 60000, 1, 86400000)) * time.Millisecond
	o.Timeout = time.Duration(l.integer("OTEL_EXPORTER_OTLP_TIMEOUT", 10000, 1, 600000)) * time.Millisecond
	if l.boolean("OTEL_SDK_DISABLED", false) {
		// The specification's switch: no-op providers, nothing exported.
		o.Endpoint = ""
	}
	attrs, err := telemetry.ParseResourceAttributes(l.str("OTEL_RESOURCE_ATTRIBUTES", ""))
	if err != nil {
		l.fail("OTEL_RESOURCE_ATTRIBUTES: %s", strings.TrimPrefix(err.Error(), "telemetry: resource attributes: "))
	}
	o.ResourceAttributes = attrs
	switch o.MetricsTemporality {
	case telemetry.TemporalityCumulative, telemetry.TemporalityDelta, telemetry.TemporalityLowMemory:
	default:
		l.fail("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: must be cumulative, delta or lowmemory, got %q", o.MetricsTemporality)
	}
	if _, err := telemetry.ParseSampler(o.TracesSampler, o.TracesSamplerArg); err != nil {
		l.fail("OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG: %s", strings.TrimPrefix(err.Error(), "telemetry: "))
	}
	if v := strings.TrimSpace(l.str("METRICS_ADDR", "")); v != "" {
		if !strings.Contains(v, ":") {
			v = ":" + v
		}
		_, p, err := net.SplitHostPort(v)
		n, perr := strconv.Atoi(p)
		switch {
		case err != nil || perr != nil || n < 0 || n > 65535:
			l.fail("METRICS_ADDR: must be host:port or a port, such as :9464, got %q", v)
		case n != 0 && n == port:
			l.fail("METRICS_ADDR: must not be PORT (%d): /metrics is never served on the API's port", port)
		default:
			o.MetricsAddr = v
		}
	}
	return o
}

// mail reads SMTP_URL and MAIL_FROM. SMTP_URL is smtp://[user:pass@]host[:port]
// (STARTTLS, port 587 by default) or smtps://[user:pass@]host[:port]
// (implicit TLS, port 465 by default). Messages never repeat the URL, which
// may hold a password.
func (l *loader) mail(issuer string, production bool, c *Config) MailConfig {
	var m MailConfig
	if v := l.str("SMTP_URL", ""); v != "" {
		u, err := url.Parse(v)
		switch {
		case err != nil:
			l.fail("SMTP_URL: is not a URL such as smtp://user:pass@smtp.example.com:587")
		case u.Scheme != "smtp" && u.Scheme != "smtps":
			l.fail("SMTP_URL: must start with smtp:// (STARTTLS) or smtps:// (implicit TLS), got %q", u.Scheme+"://")
		case u.Hostname() == "":
			l.fail("SMTP_URL: names no host")
		case (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "":
			l.fail("SMTP_URL: must be scheme://[user:pass@]host[:port] without path or query")
		default:
			if p := u.Port(); p != "" {
				if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
					l.fail("SMTP_URL: port must be 1 to 65535, got %q", p)
				}
			}
			m.SMTP = u
		}
	} else if production {
		c.Warnings = append(c.Warnings, "SMTP_URL is not set: password reset and e-mail verification mails go nowhere")
	}
	host := "localhost"
	if u, err := url.Parse(issuer); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	m.From = l.str("MAIL_FROM", "identityd <no-reply@"+host+">")
	if a, err := netmail.ParseAddress(m.From); err != nil {
		l.fail("MAIL_FROM: must be an address such as no-reply@example.com or \"identityd <no-reply@example.com>\", got %q", m.From)
	} else {
		m.From = a.String()
	}
	return m
}

// LoadMigrateConfig reads what "identityd migrate" needs: DATABASE_URL
// (required), the pool settings, APP_ENV and the log settings. Nothing else
// is read, so a migration needs neither Redis nor the signing secrets.
func LoadMigrateConfig(lookup Lookup) (Config, error) {
	l := &loader{lookup: lookup}
	var c Config
	c.Env = l.env()
	l.logging(&c)
	l.database(&c)
	if c.Database.URL == "" {
		l.fail("DATABASE_URL: is required to migrate (postgres://user:pass@host:5432/db?sslmode=...)")
	}
	return c, errors.Join(l.errs...)
}

// brand reads BRAND_NAME, BRAND_LOGO_URL and BRAND_PRIMARY_COLOR. Each
// ends up in HTML (escaped by the templates) and the colour in the
// stylesheet, so each is held to a shape that cannot break out of it.
func (l *loader) brand() BrandConfig {
	b := BrandConfig{
		Name:         strings.TrimSpace(l.str("BRAND_NAME", "identityd")),
		LogoURL:      strings.TrimSpace(l.str("BRAND_LOGO_URL", "")),
		PrimaryColor: strings.TrimSpace(l.str("BRAND_PRIMARY_COLOR", "")),
	}
	if b.Name == "" || utf8.RuneCountInString(b.Name) > 64 || strings.IndexFunc(b.Name, unicode.IsControl) >= 0 {
		l.fail("BRAND_NAME: must be 1 to 64 characters without control characters")
	}
	if b.LogoURL != "" {
		if msg := checkLogoURL(b.LogoURL); msg != "" {
			l.fail("BRAND_LOGO_URL: %s, got %q", msg, b.LogoURL)
		}
	}
	if b.PrimaryColor != "" && !isHexColor(b.PrimaryColor) {
		l.fail("BRAND_PRIMARY_COLOR: must be a hex colour such as #3454d1 or #35d, got %q", b.PrimaryColor)
	}
	return b
}

// checkLogoURL reports what is wrong with a BRAND_LOGO_URL, or "": a path
// on this server ("/static/logo.svg") or an absolute https URL (http only
// to a loopback host), without credentials.
func checkLogoURL(s string) string {
	if len(s) > 2048 {
		return "must be at most 2048 characters"
	}
	u, err := url.Parse(s)
	if err != nil || strings.ContainsAny(s, " \"'<>\\") {
		return "must be a URL"
	}
	if u.Scheme == "" && u.Host == "" {
		if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") {
			return "must be an absolute https URL or a path starting with /"
		}
		return ""
	}
	if u.User != nil {
		return "must not carry credentials"
	}
	if u.Scheme == "https" && u.Host != "" {
		return ""
	}
	if u.Scheme == "http" && isLoopbackHost(u.Hostname()) {
		return ""
	}
	return "must be an absolute https URL (http only on a loopback host) or a path starting with /"
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(h)
	return err == nil && ip.IsLoopback()
}

// webAuthn reads WEBAUTHN_RP_ID and WEBAUTHN_ORIGINS. WebAuthn Level 2
// §5.1.2 and §13.4.9: the RP ID is a domain (no scheme, no port) that
// every allowed origin's host equals or lies below, and an origin is
// https except on a loopback host.
func (l *loader) webAuthn(issuer string) (string, []string) {
	iu, _ := url.Parse(issuer)
	defHost, defOrigin := "", ""
	if iu != nil {
		defHost, defOrigin = iu.Hostname(), iu.Scheme+"://"+iu.Host
	}
	// The defaults come from ISSUER_URL, which is checked on its own: an
	// issuer on an IP address or plain http (a test, a first try) is no
	// place for passkeys, but nothing else is wrong there, so only values
	// given explicitly are held to WebAuthn's rules.
	_, rpSet := l.lookup("WEBAUTHN_RP_ID")
	_, originsSet := l.lookup("WEBAUTHN_ORIGINS")
	if !rpSet && !originsSet {
		return strings.ToLower(defHost), []string{strings.ToLower(defOrigin)}
	}
	rpID := strings.ToLower(strings.TrimSpace(l.str("WEBAUTHN_RP_ID", defHost)))
	if !validRPID(rpID) {
		l.fail("WEBAUTHN_RP_ID: must be a domain name such as id.example.com (no scheme or port), got %q", rpID)
		return rpID, nil
	}
	var origins []string
	failed := len(l.errs)
	for _, o := range strings.Split(l.str("WEBAUTHN_ORIGINS", defOrigin), ",") {
		o = strings.TrimRight(strings.TrimSpace(o), "/")
		if o == "" {
			continue
		}
		u, err := url.Parse(o)
		switch {
		case err != nil || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil:
			l.fail("WEBAUTHN_ORIGINS: %q is not an origin such as https://id.example.com", o)
		case u.Scheme != "https" && !(u.Scheme == "http" && isLoopbackHost(u.Hostname())):
			l.fail("WEBAUTHN_ORIGINS: %q must use https (http only on a loopback host)", o)
		case !underRPID(u.Hostname(), rpID):
			l.fail("WEBAUTHN_ORIGINS: the host of %q is neither WEBAUTHN_RP_ID %q nor below it", o, rpID)
		default:
			origins = append(origins, strings.ToLower(u.Scheme)+"://"+strings.ToLower(u.Host))
		}
	}
	if len(origins) == 0 && len(l.errs) == failed {
		l.fail("WEBAUTHN_ORIGINS: must name at least one origin")
	}
	return rpID, origins
}

// underRPID reports whether host is rpID or a subdomain of it.
func underRPID(host, rpID string) bool {
	h := strings.ToLower(host)
	return h == rpID || strings.HasSuffix(h, "."+rpID)
}

// validRPID reports whether s is a domain name (or an IP-less "localhost"):
// labels of letters, digits and hyphens, 1 to 253 characters.
func validRPID(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	if _, err := netip.ParseAddr(s); err == nil {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// isHexColor reports whether s is #rgb or #rrggbb.
func isHexColor(s string) bool {
	if len(s) != 4 && len(s) != 7 || s[0] != '#' {
		return false
	}
	for _, c := range s[1:] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func (l *loader) env() string {
	env := l.str("APP_ENV", EnvDevelopment)
	switch env {
	case EnvDevelopment, EnvTest, EnvProduction:
	default:
		l.fail("APP_ENV: must be development, test or production, got %q", env)
	}
	return env
}

func (l *loader) logging(c *Config) {
	switch lv := strings.ToLower(l.str("LOG_LEVEL", "info")); lv {
	case "debug":
		c.Log.Level = slog.LevelDebug
	case "info":
		c.Log.Level = slog.LevelInfo
	case "warn":
		c.Log.Level = slog.LevelWarn
	case "error":
		c.Log.Level = slog.LevelError
	default:
		l.fail("LOG_LEVEL: must be debug, info, warn or error, got %q", lv)
	}
	c.Log.File = l.str("LOG_FILE", "")
}

func (l *loader) database(c *Config) {
	c.Database.URL = l.str("DATABASE_URL", "")
	if c.Database.URL != "" {
		u, err := url.Parse(c.Database.URL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			l.fail("DATABASE_URL: must be a postgres:// URL")
		} else if pw, _ := u.User.Password(); c.Production() && (pw == exampleDatabasePassword || isExample(pw)) {
			l.fail("DATABASE_URL: uses the example password of .env.example and docker-compose.yml; give the database user a password of its own")
		}
	}
	c.Database.AutoMigrate = l.boolean("AUTO_MIGRATE", true)
	c.Database.MaxOpenConns = l.integer("DB_MAX_OPEN_CONNS", 20, 1, 1000)
	c.Database.MaxIdleConns = l.integer("DB_MAX_IDLE_CONNS", 10, 0, 1000)
	c.Database.ConnMaxLifetime = l.duration("DB_CONN_MAX_LIFETIME", 30*time.Minute)
	c.Database.ConnMaxIdleTime = l.duration("DB_CONN_MAX_IDLE_TIME", 5*time.Minute)
}

// exampleMarker marks the placeholder secrets of .env.example, which
// production refuses (test/deploy checks that every secret there has it).
const exampleMarker = "EXAMPLE-change-me"

// exampleDatabasePassword is the PostgreSQL password of .env.example's
// and docker-compose.yml's DATABASE_URL, which production refuses.
const exampleDatabasePassword = "identityd"

// isExample reports whether v is, or is made from, a placeholder of
// .env.example (in any letter case).
func isExample(v string) bool {
	return strings.Contains(strings.ToLower(v), strings.ToLower(exampleMarker))
}

// secret reads a signing secret. In production it is required; elsewhere a
// random one is made for this start, with a warning. Messages name the rule
// broken, never the value.
// previousRefreshSecret reads JWT_REFRESH_SECRET_PREVIOUS: the rules of
// JWT_REFRESH_SECRET, and different from it, JWT_SECRET and
// JWT_SECRET_PREVIOUS (each secret keys one thing). nil when unset.
func (l *loader) previousRefreshSecret(t TokenConfig) []byte {
	const name = "JWT_REFRESH_SECRET_PREVIOUS"
	if l.str(name, "") == "" {
		return nil
	}
	var ignored Config
	prev := l.secret(name, true, &ignored)
	switch string(prev) {
	case string(t.RefreshSecret):
		l.fail("%s: must differ from JWT_REFRESH_SECRET", name)
	case string(t.Secret):
		l.fail("%s: must differ from JWT_SECRET", name)
	case string(t.PreviousSecret):
		l.fail("%s: must differ from JWT_SECRET_PREVIOUS", name)
	}
	return prev
}

// nextRefreshSecret reads JWT_REFRESH_SECRET_NEXT under the rules of
// JWT_REFRESH_SECRET; it and JWT_SECRET_NEXT (in t) must differ from every
// other secret. nil when unset.
func (l *loader) nextRefreshSecret(t TokenConfig) []byte {
	const name = "JWT_REFRESH_SECRET_NEXT"
	var next []byte
	if l.str(name, "") != "" {
		var ignored Config
		next = l.secret(name, true, &ignored)
	}
	named := []struct {
		name  string
		value []byte
	}{
		{"JWT_SECRET", t.Secret}, {"JWT_REFRESH_SECRET", t.RefreshSecret},
		{"JWT_SECRET_PREVIOUS", t.PreviousSecret}, {"JWT_REFRESH_SECRET_PREVIOUS", t.PreviousRefreshSecret},
		{"JWT_SECRET_NEXT", t.NextSecret}, {name, next},
	}
	for i := 4; i < len(named); i++ {
		if named[i].value == nil {
			continue
		}
		for j := range i {
			if named[j].value != nil && string(named[j].value) == string(named[i].value) {
				l.fail("%s: must differ from %s", named[i].name, named[j].name)
			}
		}
	}
	return next
}

func (l *loader) secret(name string, required bool, c *Config) []byte {
	v := l.str(name, "")
	if v == "" {
		if required {
			l.fail("%s: is required in production", name)
			return nil
		}
		c.Warnings = append(c.Warnings, name+" is not set: a random key is used for this start")
		return randomKey()
	}
	if required && isExample(v) {
		l.fail("%s: is the example value of .env.example; generate your own", name)
	}
	var upper, lower, digit, special bool
	for _, r := range v {
		switch {
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsLower(r):
			lower = true
		case unicode.IsDigit(r):
			digit = true
		default:
			special = true
		}
	}
	if len(v) < 32 {
		l.fail("%s: must be at least 32 characters", name)
	}
	if !upper {
		l.fail("%s: must contain an upper-case letter", name)
	}
	if !lower {
		l.fail("%s: must contain a lower-case letter", name)
	}
	if !digit {
		l.fail("%s: must contain a digit", name)
	}
	if !special {
		l.fail("%s: must contain a special character", name)
	}
	return []byte(v)
}

// privateKey reads and checks the PEM private key in file for alg.
// Messages name the variable and the problem, never key material.
func (l *loader) privateKey(name, file, alg string) crypto.Signer {
	data, err := os.ReadFile(file)
	if err != nil {
		l.fail("%s: cannot read %s: %v", name, file, errors.Unwrap(err))
		return nil
	}
	key, err := jwt.ParsePrivateKey(data)
	if err != nil {
		l.fail("%s: %s: %s", name, file, oneLine(err))
		return nil
	}
	if err := jwt.CheckKey(alg, key); err != nil {
		l.fail("%s: %s: %s", name, file, oneLine(err))
		return nil
	}
	return key
}

// oneLine keeps a message on the one line the contract gives each problem.
func oneLine(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// roleName is the form of a role (contract: [a-z0-9:_-]{1,64}).
var roleName = regexp.MustCompile(`^[a-z0-9:_-]{1,64}$`)

// roles reads a comma-separated list of role names; unset or empty, it is
// admin in production (which cannot be turned off) and none otherwise.
func (l *loader) roles(name string, production bool) []string {
	def := ""
	if production {
		def = core.RoleAdmin
	}
	var out []string
	for _, r := range splitList(l.str(name, def)) {
		if !roleName.MatchString(r) {
			l.fail("%s: %q is not a role name ([a-z0-9:_-]{1,64})", name, r)
			continue
		}
		out = append(out, r)
	}
	return out
}
