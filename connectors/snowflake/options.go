package snowflake

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strconv"
	"strings"
	"time"

	sf "github.com/snowflakedb/gosnowflake"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/internal/errs"
)

// Options tune the connector for every source it opens. Zero fields take their defaults.
type Options struct {
	// BreakerFailures is the number of consecutive failed connection attempts after which a
	// source fails fast for BreakerCooldown. Default 3.
	BreakerFailures int
	// BreakerCooldown is how long an open breaker fails fast. Default 10s.
	BreakerCooldown time.Duration
	// Now returns the current time (breaker). Default time.Now.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.BreakerFailures <= 0 {
		o.BreakerFailures = 3
	}
	if o.BreakerCooldown <= 0 {
		o.BreakerCooldown = 10 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Source option keys. password, private_key and dsn may be (and should be) secret
// references: env:NAME, file:/path.
const (
	// OptionDSN is a gosnowflake DSN (user:password@account/database/schema?warehouse=...);
	// the options below, when set, override its parts.
	OptionDSN       = "dsn"
	OptionAccount   = "account"
	OptionUser      = "user"
	OptionPassword  = "password"
	OptionWarehouse = "warehouse"
	OptionDatabase  = "database"
	OptionSchema    = "schema"
	OptionRole      = "role"
	// OptionPrivateKey is an unencrypted PKCS#8 (or PKCS#1) RSA private key in PEM for
	// key-pair authentication, normally file:/path/to/rsa_key.p8.
	OptionPrivateKey = "private_key"
	// OptionConnectTimeout bounds logging in: Go duration or seconds; default 5s (a
	// Snowflake login may need longer: set 30s for a cold account).
	OptionConnectTimeout = "connect_timeout"
	// OptionMaxConnections is the pool size; default 4.
	OptionMaxConnections = "max_connections"
)

const (
	defaultConnectTimeout = 5 * time.Second
	defaultMaxConnections = 4
)

// settings are a source's parsed options.
type settings struct {
	cfg            *sf.Config
	connectTimeout time.Duration
	maxConns       int
}

// parseOptions turns the source options into a gosnowflake configuration. Errors name the
// option, never its value.
func parseOptions(c connectors.SourceConfig) (*settings, error) {
	name := c.Domain + "/" + c.Name
	opt := func(key string) (string, error) {
		v, err := c.Option(key, "")
		if err != nil {
			return "", errs.Wrap(errs.KindFailedPrecondition, err, "source %s: option %s cannot be resolved", name, key)
		}
		return strings.TrimSpace(v), nil
	}
	cfg := &sf.Config{}
	if dsn, err := opt(OptionDSN); err != nil {
		return nil, err
	} else if dsn != "" {
		parsed, err := sf.ParseDSN(dsn)
		if err != nil {
			return nil, errs.New(errs.KindInvalidArgument, "source %s: option %s is not a valid Snowflake DSN (user:password@account/database/schema?warehouse=...)", name, OptionDSN)
		}
		cfg = parsed
	}
	for _, kv := range []struct {
		key string
		dst *string
	}{
		{OptionAccount, &cfg.Account}, {OptionUser, &cfg.User}, {OptionPassword, &cfg.Password},
		{OptionWarehouse, &cfg.Warehouse}, {OptionDatabase, &cfg.Database}, {OptionSchema, &cfg.Schema}, {OptionRole, &cfg.Role},
	} {
		v, err := opt(kv.key)
		if err != nil {
			return nil, err
		}
		if v != "" {
			*kv.dst = v
		}
	}
	key, err := opt(OptionPrivateKey)
	if err != nil {
		return nil, err
	}
	if key != "" {
		if cfg.Password != "" {
			return nil, errs.New(errs.KindInvalidArgument, "source %s: set either option %s or option %s, not both", name, OptionPassword, OptionPrivateKey)
		}
		pk, err := parsePrivateKey(key)
		if err != nil {
			return nil, errs.New(errs.KindInvalidArgument, "source %s: option %s: %s", name, OptionPrivateKey, err)
		}
		cfg.PrivateKey = pk
		cfg.Authenticator = sf.AuthTypeJwt
	}
	var missing []string
	if cfg.Account == "" {
		missing = append(missing, OptionAccount)
	}
	if cfg.User == "" {
		missing = append(missing, OptionUser)
	}
	if cfg.Password == "" && cfg.PrivateKey == nil && cfg.Authenticator == sf.AuthTypeSnowflake {
		missing = append(missing, OptionPassword+" or "+OptionPrivateKey)
	}
	if len(missing) > 0 {
		return nil, errs.New(errs.KindInvalidArgument, "source %s: set option %s (or option %s)", name, strings.Join(missing, ", "), OptionDSN)
	}
	s := &settings{cfg: cfg, connectTimeout: defaultConnectTimeout, maxConns: defaultMaxConnections}
	if v, err := opt(OptionConnectTimeout); err != nil {
		return nil, err
	} else if v != "" {
		d, ok := parseDuration(v)
		if !ok {
			return nil, errs.New(errs.KindInvalidArgument, "source %s: option %s must be a duration such as 30s", name, OptionConnectTimeout)
		}
		s.connectTimeout = d
	}
	if v, err := opt(OptionMaxConnections); err != nil {
		return nil, err
	} else if v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return nil, errs.New(errs.KindInvalidArgument, "source %s: option %s must be a number from 1 to 1000", name, OptionMaxConnections)
		}
		s.maxConns = n
	}
	cfg.LoginTimeout = s.connectTimeout
	// The application name shows in Snowflake's query history.
	cfg.Application = "meshgate"
	return s, nil
}

// parsePrivateKey reads an RSA private key in PEM. The error says what is wrong with it,
// never its content.
func parsePrivateKey(text string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(text))
	if block == nil {
		return nil, errs.New(errs.KindInvalidArgument, "the value is not a PEM private key (point it at the key file with file:/path/rsa_key.p8)")
	}
	switch block.Type {
	case "ENCRYPTED PRIVATE KEY":
		return nil, errs.NotSupportedf("encrypted private keys; decrypt it (openssl pkcs8 -topk8 -nocrypt) and keep the file readable only by the node")
	case "RSA PRIVATE KEY":
		return x509.ParsePKCS1PrivateKey(block.Bytes)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, errs.New(errs.KindInvalidArgument, "the PEM block is not a PKCS#8 private key")
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errs.New(errs.KindInvalidArgument, "the key is not an RSA key; Snowflake key-pair authentication needs RSA")
	}
	return rk, nil
}

// parseDuration accepts a Go duration ("5s") or a whole number of seconds ("5").
func parseDuration(s string) (time.Duration, bool) {
	if n, err := strconv.Atoi(s); err == nil && n > 0 {
		return time.Duration(n) * time.Second, true
	}
	d, err := time.ParseDuration(s)
	return d, err == nil && d > 0
}
