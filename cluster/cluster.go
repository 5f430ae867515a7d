package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"

	"github.com/meshgate/meshgate/internal/errs"
)

// Options configure a node's membership. Zero fields take the defaults of DefaultOptions.
type Options struct {
	// NodeName names this node in the cluster; it must be unique. Default: the host name
	// followed by the gossip address.
	NodeName string
	// BindAddr is the gossip listen address (TCP and UDP). Port 0 picks a free port.
	// Default "127.0.0.1:7946".
	BindAddr string
	// AdvertiseAddr is the gossip address other nodes reach this one on, when BindAddr
	// listens on every interface. Default: BindAddr.
	AdvertiseAddr string
	// Join lists gossip addresses of existing members to join at start; none starts a new
	// cluster. Members that cannot be reached are skipped as long as one answers.
	Join []string
	// FlightAddr and HTTPAddr are the addresses clients reach this node's Flight SQL and
	// HTTP endpoints on. They are announced to the other members and must name a host
	// (never 0.0.0.0).
	FlightAddr, HTTPAddr string
	// Version is this node's software version, announced to the other members.
	Version string
	// SecretKey, when set (16, 24 or 32 bytes), encrypts and authenticates gossip.
	SecretKey []byte
	// Logger receives membership events. Default: discarded.
	Logger *slog.Logger
	// Profile tunes failure detection: "lan" (memberlist's DefaultLANConfig: probe every
	// second, suspicion after a few missed probes) or "local" (DefaultLocalConfig, faster,
	// for tests and single hosts). Default "lan".
	Profile string
}

// DefaultOptions returns the defaults for zero fields.
func DefaultOptions() Options {
	return Options{BindAddr: "127.0.0.1:7946", Profile: "lan"}
}

// meta is what a node announces in its gossip metadata (memberlist caps it at 512 bytes).
type meta struct {
	Flight  string `json:"f,omitempty"`
	HTTP    string `json:"h,omitempty"`
	Version string `json:"v,omitempty"`
	Started int64  `json:"s,omitempty"`
}

// Member is one node as this node sees it.
type Member struct {
	Name       string
	GossipAddr string
	FlightAddr string
	HTTPAddr   string
	Version    string
	// State is alive, suspect, dead or left.
	State   string
	Started time.Time
	// Self marks this node.
	Self bool
}

// Cluster is this node's membership.
type Cluster struct {
	ml  *memberlist.Memberlist
	log *slog.Logger

	mu   sync.Mutex
	self meta

	leave    sync.Once
	leaveErr error
}

// Start joins (or starts) a cluster.
func Start(opts Options) (*Cluster, error) {
	def := DefaultOptions()
	if opts.BindAddr == "" {
		opts.BindAddr = def.BindAddr
	}
	if opts.Profile == "" {
		opts.Profile = def.Profile
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	for _, a := range []struct{ name, addr string }{{"Flight", opts.FlightAddr}, {"HTTP", opts.HTTPAddr}} {
		if err := reachable(a.addr); err != nil {
			return nil, errs.New(errs.KindInvalidArgument, "cluster: the %s address %q announced to other nodes %v; set an address clients can reach (node.advertise_addr)", a.name, a.addr, err)
		}
	}

	var cfg *memberlist.Config
	switch opts.Profile {
	case "lan":
		cfg = memberlist.DefaultLANConfig()
	case "local":
		cfg = memberlist.DefaultLocalConfig()
	default:
		return nil, errs.New(errs.KindInvalidArgument, "cluster: unknown profile %q: use lan or local", opts.Profile)
	}
	host, port, err := splitHostPort(opts.BindAddr)
	if err != nil {
		return nil, errs.Wrap(errs.KindInvalidArgument, err, "cluster: gossip bind address %q", opts.BindAddr)
	}
	cfg.BindAddr, cfg.BindPort = host, port
	cfg.AdvertiseAddr, cfg.AdvertisePort = host, port
	if opts.AdvertiseAddr != "" {
		if cfg.AdvertiseAddr, cfg.AdvertisePort, err = splitHostPort(opts.AdvertiseAddr); err != nil {
			return nil, errs.Wrap(errs.KindInvalidArgument, err, "cluster: gossip advertise address %q", opts.AdvertiseAddr)
		}
	}
	if opts.NodeName == "" {
		hostname, _ := os.Hostname()
		opts.NodeName = hostname + "-" + opts.BindAddr
	}
	cfg.Name = opts.NodeName
	cfg.SecretKey = opts.SecretKey
	cfg.Logger = log.New(logWriter{opts.Logger}, "", 0)

	c := &Cluster{log: opts.Logger, self: meta{Flight: opts.FlightAddr, HTTP: opts.HTTPAddr, Version: opts.Version, Started: time.Now().Unix()}}
	cfg.Delegate = delegate{c}
	cfg.Events = events{c.log}
	if c.ml, err = memberlist.Create(cfg); err != nil {
		return nil, errs.Wrap(errs.KindUnavailable, err, "cluster: cannot listen for gossip on %s; choose a free address with node.gossip_addr", opts.BindAddr)
	}
	if len(opts.Join) > 0 {
		if _, err := c.ml.Join(opts.Join); err != nil {
			_ = c.ml.Shutdown()
			return nil, errs.Wrap(errs.KindUnavailable, err, "cluster: none of the members %s answered; check the addresses and that those nodes run", strings.Join(opts.Join, ", "))
		}
	}
	return c, nil
}

// reachable reports why addr cannot be announced to clients, or nil. Empty is allowed (the
// node does not serve that endpoint).
func reachable(addr string) error {
	if addr == "" {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("is not host:port")
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		return fmt.Errorf("names no host")
	}
	return nil
}

func splitHostPort(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("port %q is not a number from 0 to 65535", p)
	}
	if host == "" {
		host = "0.0.0.0"
	}
	return host, port, nil
}

// GossipAddr is the address other nodes join this one on (the port chosen when BindAddr's
// was 0).
func (c *Cluster) GossipAddr() string {
	n := c.ml.LocalNode()
	return net.JoinHostPort(n.Addr.String(), strconv.Itoa(int(n.Port)))
}

// Name is this node's name.
func (c *Cluster) Name() string { return c.ml.LocalNode().Name }

// Members returns the known members, this node included, sorted by name.
func (c *Cluster) Members() []Member {
	self := c.ml.LocalNode().Name
	nodes := c.ml.Members()
	out := make([]Member, 0, len(nodes))
	for _, n := range nodes {
		var m meta
		_ = json.Unmarshal(n.Meta, &m)
		out = append(out, Member{
			Name:       n.Name,
			GossipAddr: net.JoinHostPort(n.Addr.String(), strconv.Itoa(int(n.Port))),
			FlightAddr: m.Flight, HTTPAddr: m.HTTP, Version: m.Version,
			State:   stateName(n.State),
			Started: time.Unix(m.Started, 0).UTC(),
			Self:    n.Name == self,
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func stateName(s memberlist.NodeStateType) string {
	switch s {
	case memberlist.StateAlive:
		return "alive"
	case memberlist.StateSuspect:
		return "suspect"
	case memberlist.StateDead:
		return "dead"
	case memberlist.StateLeft:
		return "left"
	}
	return "unknown"
}

// Leave tells the other members this node is going (so they do not wait for failure
// detection) and stops gossip. timeout bounds the wait for the announcement to spread.
// Later calls do nothing.
func (c *Cluster) Leave(timeout time.Duration) error {
	c.leave.Do(func() {
		c.leaveErr = c.ml.Leave(timeout)
		if err := c.ml.Shutdown(); c.leaveErr == nil {
			c.leaveErr = err
		}
	})
	return c.leaveErr
}

// delegate announces this node's metadata. It carries no user state: membership only.
type delegate struct{ c *Cluster }

func (d delegate) NodeMeta(limit int) []byte {
	d.c.mu.Lock()
	defer d.c.mu.Unlock()
	b, _ := json.Marshal(d.c.self)
	if len(b) > limit {
		// Addresses longer than memberlist's 512-byte metadata limit cannot be announced;
		// the node still gossips its membership.
		d.c.log.Warn("cluster: node metadata exceeds the gossip limit; addresses not announced", "bytes", len(b), "limit", limit)
		return nil
	}
	return b
}

func (delegate) NotifyMsg([]byte)                           {}
func (delegate) GetBroadcasts(overhead, limit int) [][]byte { return nil }
func (delegate) LocalState(join bool) []byte                { return nil }
func (delegate) MergeRemoteState(buf []byte, join bool)     {}

// events logs membership changes.
type events struct{ log *slog.Logger }

func (e events) NotifyJoin(n *memberlist.Node) {
	e.log.Info("cluster: node joined", "node", n.Name, "addr", n.Address())
}
func (e events) NotifyLeave(n *memberlist.Node) {
	e.log.Info("cluster: node left", "node", n.Name, "addr", n.Address())
}
func (e events) NotifyUpdate(n *memberlist.Node) {
	e.log.Debug("cluster: node updated", "node", n.Name)
}

// logWriter forwards memberlist's "[LEVEL] memberlist: message" lines to slog at their level.
type logWriter struct{ log *slog.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	line := strings.TrimSpace(string(p))
	level := slog.LevelInfo
	for prefix, l := range map[string]slog.Level{"[DEBUG]": slog.LevelDebug, "[WARN]": slog.LevelWarn, "[ERR]": slog.LevelError, "[INFO]": slog.LevelInfo} {
		if rest, ok := strings.CutPrefix(line, prefix); ok {
			level, line = l, strings.TrimSpace(rest)
			break
		}
	}
	w.log.Log(context.Background(), level, line)
	return len(p), nil
}
