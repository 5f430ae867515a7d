package client

import (
	"context"
	"crypto/tls"
	"errors"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
)

// DefaultAddr is where `meshgate demo` and `meshgate serve` listen by default.
const DefaultAddr = "127.0.0.1:32010"

// Headers meshgate sends and understands.
const (
	// WarningHeader carries one server warning per value (deprecated products, stale data).
	WarningHeader = "x-meshgate-warning"
	// QueryIDHeader carries the id the server logs and audits the query under.
	QueryIDHeader = "x-meshgate-query-id"
	// CompressionHeader asks for compressed results: "lz4" or "zstd".
	CompressionHeader = "x-meshgate-compression"
)

// maxMessageBytes is the largest gRPC message the client accepts; meshgate sends at most
// 4 MiB per message by default, other servers may send more.
const maxMessageBytes = 256 << 20

// Options configure Dial.
type Options struct {
	// Addr is host:port. Default DefaultAddr.
	Addr string
	// User and Password log in with a Basic handshake. An empty User skips the handshake.
	User     string
	Password string
	// TLS connects with TLS; InsecureSkipVerify accepts any server certificate (self-signed
	// test setups only).
	TLS                bool
	InsecureSkipVerify bool
	// Headers are sent on every call (for example CompressionHeader, x-meshgate-schema).
	Headers map[string]string
	// Allocator allocates results and parameters. Default memory.DefaultAllocator.
	Allocator memory.Allocator
}

// Client is a connection to a Flight SQL server. It is safe for concurrent use.
type Client struct {
	sql *flightsql.Client
	md  metadata.MD // authorization and Options.Headers, sent on every call
	mem memory.Allocator
}

// Dial connects and, when opts.User is set, logs in. The bearer token the server returns is
// sent on every later call.
func Dial(ctx context.Context, opts Options) (*Client, error) {
	if opts.Addr == "" {
		opts.Addr = DefaultAddr
	}
	if opts.Allocator == nil {
		opts.Allocator = memory.DefaultAllocator
	}
	creds := insecure.NewCredentials()
	if opts.TLS {
		creds = credentials.NewTLS(&tls.Config{InsecureSkipVerify: opts.InsecureSkipVerify}) //nolint:gosec // opt-in for self-signed test setups
	}
	cl, err := flightsql.NewClientCtx(ctx, opts.Addr, nil, nil,
		grpc.WithTransportCredentials(creds),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMessageBytes)))
	if err != nil {
		return nil, err
	}
	cl.Alloc = opts.Allocator
	md := metadata.New(opts.Headers)
	if opts.User != "" {
		authCtx, err := cl.Client.AuthenticateBasicToken(metadata.NewOutgoingContext(ctx, md.Copy()), opts.User, opts.Password)
		if err != nil {
			_ = cl.Close()
			return nil, err
		}
		out, _ := metadata.FromOutgoingContext(authCtx)
		md.Set("authorization", out.Get("authorization")...)
	}
	return &Client{sql: cl, md: md, mem: opts.Allocator}, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.sql.Close() }

func (c *Client) callContext(ctx context.Context) context.Context {
	if out, ok := metadata.FromOutgoingContext(ctx); ok {
		return metadata.NewOutgoingContext(ctx, metadata.Join(out, c.md))
	}
	return metadata.NewOutgoingContext(ctx, c.md)
}

// Query runs sql and returns its result stream. With params the statement is prepared and
// the values bound ($1, $2, ... or ?), see paramRecord for the accepted Go types. The caller
// must Close the result.
func (c *Client) Query(ctx context.Context, sql string, params ...any) (*Result, error) {
	ctx, cancel := context.WithCancel(c.callContext(ctx))
	var (
		hdr  metadata.MD
		info *flight.FlightInfo
		err  error
	)
	if len(params) == 0 {
		info, err = c.sql.Execute(ctx, sql, grpc.Header(&hdr))
	} else {
		info, err = c.executePrepared(ctx, sql, params, &hdr)
	}
	if err != nil {
		cancel()
		return nil, err
	}
	schema, err := flight.DeserializeSchema(info.Schema, c.mem)
	if err != nil {
		cancel()
		return nil, err
	}
	r := &Result{ctx: ctx, cancel: cancel, client: c, endpoints: info.Endpoint, schema: schema}
	r.addHeaders(hdr)
	return r, nil
}

func (c *Client) executePrepared(ctx context.Context, sql string, params []any, hdr *metadata.MD) (*flight.FlightInfo, error) {
	prep, err := c.sql.Prepare(ctx, sql)
	if err != nil {
		return nil, err
	}
	// The ticket the server returns is self-contained, so the statement can go right away.
	defer prep.Close(context.WithoutCancel(ctx))
	rec, err := paramRecord(c.mem, params, prep.ParameterSchema())
	if err != nil {
		return nil, err
	}
	prep.SetParameters(rec)
	rec.Release()
	return prep.Execute(ctx, grpc.Header(hdr))
}

// Result streams the record batches of one query, endpoint after endpoint. meshgate tickets
// can be redeemed on any node, so every endpoint is read over this client's connection.
type Result struct {
	ctx       context.Context
	cancel    context.CancelFunc
	client    *Client
	endpoints []*flight.FlightEndpoint
	schema    *arrow.Schema
	warnings  []string
	queryID   string

	reader *flight.Reader
	hdr    metadata.MD
	err    error
}

// Schema is the result schema announced by the server.
func (r *Result) Schema() *arrow.Schema { return r.schema }

// Warnings are the server's warnings about the query: those sent with planning at once,
// those sent while streaming once the stream has been read to the end.
func (r *Result) Warnings() []string { return r.warnings }

// QueryID is the id the server logged the query under, when it sent one.
func (r *Result) QueryID() string { return r.queryID }

func (r *Result) addHeaders(md metadata.MD) {
	for _, w := range md.Get(WarningHeader) {
		if !slices.Contains(r.warnings, w) {
			r.warnings = append(r.warnings, w)
		}
	}
	if ids := md.Get(QueryIDHeader); len(ids) > 0 && r.queryID == "" {
		r.queryID = ids[0]
	}
}

// Next advances to the next record batch.
func (r *Result) Next() bool {
	for r.err == nil {
		if r.reader != nil {
			if r.reader.Next() {
				return true
			}
			r.err = r.reader.Err()
			r.reader.Release()
			r.reader = nil
			// gRPC fills a stream's header option when the stream ends.
			r.addHeaders(r.hdr)
			continue
		}
		if len(r.endpoints) == 0 {
			return false
		}
		ep := r.endpoints[0]
		r.endpoints = r.endpoints[1:]
		r.hdr = metadata.MD{}
		r.reader, r.err = r.client.sql.DoGet(r.ctx, ep.GetTicket(), grpc.Header(&r.hdr))
	}
	return false
}

// RecordBatch is the current batch, valid until the next call to Next.
func (r *Result) RecordBatch() arrow.RecordBatch {
	if r.reader == nil {
		return nil
	}
	return r.reader.RecordBatch()
}

// Err is the error that ended the stream, if any.
func (r *Result) Err() error {
	if errors.Is(r.err, context.Canceled) && r.ctx.Err() != nil {
		return r.ctx.Err()
	}
	return r.err
}

// Close stops the stream and frees its resources.
func (r *Result) Close() {
	if r.reader != nil {
		r.reader.Release()
		r.reader = nil
	}
	r.cancel()
}
