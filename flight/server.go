package flight

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meshgate/meshgate/governance"
	"github.com/meshgate/meshgate/internal/errs"
)

// Server is meshgate's Flight SQL front door. Create it with NewServer, run it with Serve,
// stop it with Shutdown.
type Server struct {
	opts     Options
	engine   Engine
	meta     Metadata
	ids      *governance.Identities
	log      *slog.Logger
	mem      memory.Allocator
	metrics  *metrics
	grpc     *grpc.Server
	lis      net.Listener
	location string // advertised endpoint location, "" for "this server"

	running  *runningQueries
	prepared *preparedStatements

	// queriesCtx is the parent of every running query; Shutdown cancels it.
	queriesCtx  context.Context
	stopQueries context.CancelCauseFunc

	shutdownOnce sync.Once
	shutdownDone chan struct{}
}

var errShuttingDown = errs.New(errs.KindUnavailable, "the server is shutting down; retry the query on another node")

// NewServer builds a server listening on opts.Addr (so Addr is known before Serve) without
// starting any goroutine.
func NewServer(opts Options, engine Engine, meta Metadata, ids *governance.Identities) (*Server, error) {
	if engine == nil || meta == nil || ids == nil {
		return nil, errs.New(errs.KindInvalidArgument, "flight server needs an engine, a metadata source and identities")
	}
	opts = opts.withDefaults()
	if (opts.TLSCertFile == "") != (opts.TLSKeyFile == "") {
		return nil, errs.New(errs.KindInvalidArgument, "TLS needs both a certificate file and a key file; set both or neither")
	}
	location, err := advertisedLocation(opts.AdvertiseAddr, opts.TLSCertFile != "")
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	s := &Server{
		opts: opts, engine: engine, meta: meta, ids: ids, log: opts.Logger, mem: opts.Allocator,
		metrics: m, location: location, running: newRunningQueries(),
		prepared:     newPreparedStatements(opts.PreparedStatementIdleTTL, opts.MaxPreparedStatementsPerUser, opts.Now),
		shutdownDone: make(chan struct{}),
	}
	s.queriesCtx, s.stopQueries = context.WithCancelCause(context.Background())

	sql := &sqlServer{srv: s}
	sql.Alloc = s.mem
	if err := registerSQLInfo(sql, opts); err != nil {
		return nil, err
	}

	grpcOpts := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(opts.MaxRecvBytes),
		grpc.ChainUnaryInterceptor(s.unaryInterceptor),
		grpc.ChainStreamInterceptor(s.streamInterceptor),
	}
	if opts.TLSCertFile != "" {
		creds, err := credentials.NewServerTLSFromFile(opts.TLSCertFile, opts.TLSKeyFile)
		if err != nil {
			return nil, errs.Wrap(errs.KindInvalidArgument, err, "loading TLS certificate %s and key %s", opts.TLSCertFile, opts.TLSKeyFile)
		}
		grpcOpts = append(grpcOpts, grpc.Creds(creds))
	}
	s.grpc = grpc.NewServer(grpcOpts...)
	flight.RegisterFlightServiceServer(s.grpc, &frontDoor{
		FlightServer: flightsql.NewFlightServerWithAllocator(sql, s.mem),
		srv:          s,
		sql:          sql,
	})

	if s.lis, err = net.Listen("tcp", opts.Addr); err != nil {
		return nil, errs.Wrap(errs.KindUnavailable, err, "listening for Flight SQL on %s (is another process using the port?)", opts.Addr)
	}
	return s, nil
}

func advertisedLocation(addr string, tls bool) (string, error) {
	if addr == "" {
		return "", nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", errs.Wrap(errs.KindInvalidArgument, err, "advertise address %q must be host:port", addr)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		return "", errs.New(errs.KindInvalidArgument, "advertise address %q is a wildcard; set the address clients reach this node at", addr)
	}
	if tls {
		return "grpc+tls://" + addr, nil
	}
	return "grpc+tcp://" + addr, nil
}

// Addr is the address the server listens on (with the real port when opts.Addr used port 0).
func (s *Server) Addr() string { return s.lis.Addr().String() }

// Serve serves until Shutdown is called or ctx ends; then it shuts down gracefully within
// Options.ShutdownTimeout and returns nil.
func (s *Server) Serve(ctx context.Context) error {
	served := make(chan error, 1)
	go func() { served <- s.grpc.Serve(s.lis) }()
	select {
	case err := <-served:
		// grpc returns nil once Stop or GracefulStop ran, which happens inside Shutdown.
		if err == nil || errors.Is(err, grpc.ErrServerStopped) {
			return nil
		}
		return errs.Wrap(errs.KindUnavailable, err, "serving Flight SQL on %s", s.Addr())
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownTimeout)
		defer cancel()
		err := s.Shutdown(sctx)
		<-served
		return err
	}
}

// Shutdown cancels running queries (their clients get Unavailable), stops accepting calls,
// and waits for in-flight calls to return. When ctx ends first, remaining connections are
// closed forcibly. It is safe to call more than once.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutdownOnce.Do(func() {
		defer close(s.shutdownDone)
		s.stopQueries(errShuttingDown)
		stopped := make(chan struct{})
		go func() {
			s.grpc.GracefulStop()
			close(stopped)
		}()
		select {
		case <-stopped:
		case <-ctx.Done():
			s.grpc.Stop()
			<-stopped
		}
		_ = s.lis.Close()
	})
	<-s.shutdownDone
	return nil
}

// flightInfo describes one result: a single ordered endpoint whose ticket any node can
// redeem.
func (s *Server) flightInfo(desc *flight.FlightDescriptor, schema *arrow.Schema, ticket *flight.Ticket, expires time.Time) *flight.FlightInfo {
	ep := &flight.FlightEndpoint{Ticket: ticket}
	if !expires.IsZero() {
		ep.ExpirationTime = timestamppb.New(expires)
	}
	if s.location != "" {
		ep.Location = []*flight.Location{{Uri: s.location}}
	}
	return &flight.FlightInfo{
		Schema:           flight.SerializeSchema(schema, s.mem),
		FlightDescriptor: desc,
		Endpoint:         []*flight.FlightEndpoint{ep},
		TotalRecords:     -1,
		TotalBytes:       -1,
		Ordered:          true,
	}
}

// runningQueries lets CancelFlightInfo reach a query by id, on the node that runs it. A
// cancelled id is remembered until its ticket expires so a DoGet that arrives after the
// cancellation does not start the query.
type runningQueries struct {
	mu        sync.Mutex
	seq       int64
	live      map[string]map[int64]context.CancelCauseFunc
	cancelled map[string]time.Time
}

func newRunningQueries() *runningQueries {
	return &runningQueries{live: map[string]map[int64]context.CancelCauseFunc{}, cancelled: map[string]time.Time{}}
}

func (r *runningQueries) add(id string, cancel context.CancelCauseFunc) (remove func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seq++
	key := r.seq
	if r.live[id] == nil {
		r.live[id] = map[int64]context.CancelCauseFunc{}
	}
	r.live[id][key] = cancel
	return func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		delete(r.live[id], key)
		if len(r.live[id]) == 0 {
			delete(r.live, id)
		}
	}
}

func (r *runningQueries) cancel(id string, until, now time.Time, cause error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, t := range r.cancelled {
		if !t.After(now) {
			delete(r.cancelled, k)
		}
	}
	if until.After(now) {
		r.cancelled[id] = until
	}
	for _, c := range r.live[id] {
		c(cause)
	}
}

func (r *runningQueries) isCancelled(id string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	until, ok := r.cancelled[id]
	return ok && until.After(now)
}

// isFlightSQLCommand reports whether b is a protobuf Any holding a Flight SQL message, as
// opposed to the plain SQL text raw pyarrow.flight clients send.
func isFlightSQLCommand(b []byte) bool {
	_, ok := flightSQLTypeURL(b)
	return ok
}

const flightSQLTypePrefix = "type.googleapis.com/arrow.flight.protocol.sql."

func flightSQLTypeURL(b []byte) (string, bool) {
	url, ok := anyTypeURL(b)
	return url, ok && strings.HasPrefix(url, flightSQLTypePrefix)
}
