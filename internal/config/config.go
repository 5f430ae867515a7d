// Package config is the node configuration file (`meshgate serve --config FILE`): its
// structure, documented defaults (Default), parsing and validation. It holds no behaviour:
// cmd/meshgate turns a Config into running parts.
package config

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/meshgate/meshgate/catalog"
	"github.com/meshgate/meshgate/governance"
	"github.com/meshgate/meshgate/internal/errs"
)

// Config is a node's configuration.
type Config struct {
	Node       Node              `yaml:"node"`
	Query      Query             `yaml:"query"`
	Auth       Auth              `yaml:"auth"`
	Governance Governance        `yaml:"governance"`
	Users      []governance.User `yaml:"users"`
	// Domains, Sources and Contracts bootstrap the catalog at start (self-serve registration
	// through the API adds to it at run time).
	Domains   []catalog.Domain `yaml:"domains"`
	Sources   []catalog.Source `yaml:"sources"`
	Contracts []string         `yaml:"contracts"` // ODCS files, relative to the config file
}

// Node is where the node listens and keeps its state.
type Node struct {
	// DataDir holds the node's persistent state. Default "./data".
	DataDir string `yaml:"data_dir"`
	// FlightAddr is the Flight SQL listen address. Default "127.0.0.1:32010".
	FlightAddr string `yaml:"flight_addr"`
	// HTTPAddr serves /healthz, /metrics and the API. Default "127.0.0.1:8088".
	HTTPAddr string `yaml:"http_addr"`
	// AdvertiseAddr is the Flight address clients can reach, when FlightAddr listens on all
	// interfaces. Default: FlightAddr if it names a host, else none.
	AdvertiseAddr string `yaml:"advertise_addr"`
	// TLSCertFile and TLSKeyFile enable TLS on the Flight port.
	TLSCertFile string `yaml:"tls_cert_file"`
	TLSKeyFile  string `yaml:"tls_key_file"`
	// Catalog is the Flight SQL catalog name of the mesh. Default "mesh".
	Catalog string `yaml:"catalog"`
	// Name names the node in the cluster; unique. Default: host name and gossip address.
	Name string `yaml:"name"`
	// GossipAddr is the cluster membership (memberlist) listen address, TCP and UDP; port 0
	// picks a free port; "off" runs the node outside any cluster. Default "127.0.0.1:7946".
	GossipAddr string `yaml:"gossip_addr"`
	// Join lists gossip addresses of members to join at start. Default: none (a new cluster).
	Join []string `yaml:"join"`
}

// Query are per-query limits.
type Query struct {
	// MaxMemory is each query's memory budget ("2GiB", "512MiB"). Default 2GiB.
	MaxMemory ByteSize `yaml:"max_memory"`
	// Timeout bounds each query ("10m"). Default 0: no limit.
	Timeout time.Duration `yaml:"timeout"`
	// Partitions is the parallelism of each query. Default 0: one per CPU.
	Partitions int `yaml:"partitions"`
}

// Auth configures tokens.
type Auth struct {
	// SigningKey signs bearer tokens and tickets; a secret reference (env:NAME, file:/path)
	// or empty for a random key per start (tokens die with the process).
	SigningKey string `yaml:"signing_key"`
	// TokenTTL is a token's lifetime. Default 12h.
	TokenTTL time.Duration `yaml:"token_ttl"`
}

// Governance configures policies and audit.
type Governance struct {
	// PoliciesFile is loaded at start. Relative to the config file.
	PoliciesFile string `yaml:"policies_file"`
	// MaskKey derives each domain's hash-mask key; a secret reference. Default: derived from
	// the signing key.
	MaskKey string `yaml:"mask_key"`
	// AuditFile is the JSON-lines audit log. Default <data_dir>/audit/audit.jsonl.
	AuditFile string `yaml:"audit_file"`
	// AuditSync fsyncs the audit log after every record. Default true.
	AuditSync bool `yaml:"audit_sync"`
	// AuditFailClosed fails a query whose audit record cannot be written. Default true.
	AuditFailClosed bool `yaml:"audit_fail_closed"`
}

// ByteSize is a size in bytes that YAML may write as "2GiB", "512MB" or a number.
type ByteSize int64

// UnmarshalYAML parses a size with an optional unit.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseByteSize(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*b = ByteSize(v)
	return nil
}

// ParseByteSize parses "2GiB", "512MB", "1024" into bytes.
func ParseByteSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1}}
	for _, u := range units {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
			if err != nil {
				return 0, fmt.Errorf("size %q is not a number with a unit such as 512MiB", s)
			}
			return int64(f * float64(u.mult)), nil
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("size %q is not a number with a unit such as 512MiB", s)
	}
	return v, nil
}

// Default returns the documented defaults.
func Default() Config {
	return Config{
		Node:       Node{DataDir: "./data", FlightAddr: "127.0.0.1:32010", HTTPAddr: "127.0.0.1:8088", Catalog: "mesh", GossipAddr: "127.0.0.1:7946"},
		Query:      Query{MaxMemory: 2 << 30},
		Auth:       Auth{TokenTTL: 12 * time.Hour},
		Governance: Governance{AuditSync: true, AuditFailClosed: true},
	}
}

// Load reads a config file over the defaults.
func Load(path string) (Config, error) {
	cfg := Default()
	data, err := os.ReadFile(path)
	if err != nil {
		return cfg, errs.Wrap(errs.KindInvalidArgument, err, "config file %s cannot be read", path)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		return cfg, errs.Wrap(errs.KindInvalidArgument, err, "config file %s", path)
	}
	return cfg, cfg.Validate()
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var problems []string
	if c.Node.FlightAddr == "" {
		problems = append(problems, "node.flight_addr is required")
	}
	if c.Node.DataDir == "" {
		problems = append(problems, "node.data_dir is required")
	}
	if (c.Node.TLSCertFile == "") != (c.Node.TLSKeyFile == "") {
		problems = append(problems, "node.tls_cert_file and node.tls_key_file go together")
	}
	for i, u := range c.Users {
		if u.Name == "" {
			problems = append(problems, fmt.Sprintf("users[%d].name is required", i))
		}
		if u.PasswordHash == "" && len(u.APITokenHashes) == 0 {
			problems = append(problems, fmt.Sprintf("users[%d] (%s) needs password_hash (bcrypt; see `meshgate hash-password`) or api_token_sha256", i, u.Name))
		}
	}
	if len(problems) > 0 {
		return &catalog.ValidationError{Subject: "config", Problems: problems}
	}
	return nil
}
