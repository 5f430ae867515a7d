package flight

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"google.golang.org/grpc/metadata"

	"github.com/meshgate/meshgate/governance"
	"github.com/meshgate/meshgate/internal/errs"
)

const (
	warningHeader     = "x-meshgate-warning"
	compressionHeader = "x-meshgate-compression"
	queryIDHeader     = "x-meshgate-query-id"
)

// doGetTicket redeems a meshgate ticket: verify, re-plan, run, stream.
func (s *Server) doGetTicket(sealed string, stream flight.FlightService_DoGetServer) error {
	ctx := stream.Context()
	p, err := principalOf(ctx)
	if err != nil {
		return err
	}
	c, err := s.redeemTicket(sealed, p)
	if err != nil {
		s.finishQuery(ctx, p, c.QueryID, c.SQL, s.opts.Now(), 0, 0, err)
		return toStatus(s.log, err, c.QueryID)
	}
	if s.running.isCancelled(c.QueryID, s.opts.Now()) {
		err := errs.New(errs.KindCanceled, "query %s was cancelled", c.QueryID)
		s.finishQuery(ctx, p, c.QueryID, c.SQL, s.opts.Now(), 0, 0, err)
		return toStatus(s.log, err, c.QueryID)
	}
	return s.execute(stream, p, c.SQL, c.Params, c.session(s.sessionOf(ctx, p)))
}

// doGetSQL runs a ticket that is plain SQL text (raw pyarrow.flight clients).
func (s *Server) doGetSQL(sql string, stream flight.FlightService_DoGetServer) error {
	ctx := stream.Context()
	p, err := principalOf(ctx)
	if err != nil {
		return err
	}
	sess := s.sessionOf(ctx, p)
	sess.QueryID = newID()
	return s.execute(stream, p, sql, nil, sess)
}

// doGetPrepared runs a prepared statement whose command a client used directly as a ticket.
func (s *Server) doGetPrepared(handle []byte, stream flight.FlightService_DoGetServer) error {
	ctx := stream.Context()
	p, err := principalOf(ctx)
	if err != nil {
		return err
	}
	st, err := s.prepared.get(handle, p.User)
	if err != nil {
		return err
	}
	sess := s.sessionOf(ctx, p)
	sess.Catalog, sess.Schema, sess.QueryID = st.session.Catalog, st.session.Schema, newID()
	return s.execute(stream, p, st.sql, st.params, sess)
}

// execute plans and runs one query and streams its result. The query stops when the client
// goes away, cancels it, or the server shuts down.
func (s *Server) execute(stream flight.FlightService_DoGetServer, p *governance.Principal, sql string, params []byte, sess Session) (err error) {
	start := s.opts.Now()
	ctx, cancel := context.WithCancelCause(stream.Context())
	defer cancel(nil)
	stopOnShutdown := context.AfterFunc(s.queriesCtx, func() { cancel(context.Cause(s.queriesCtx)) })
	defer stopOnShutdown()
	defer s.running.add(sess.QueryID, cancel)()
	s.metrics.active.Inc()
	defer s.metrics.active.Dec()

	counted := &countingSender{stream: stream}
	var rows int64
	defer func() {
		if ctx.Err() != nil {
			// Whatever the engine reported, the query stopped because it was cancelled.
			err = context.Cause(ctx)
		}
		s.finishQuery(stream.Context(), p, sess.QueryID, sql, start, rows, counted.bytes, err)
		err = toStatus(s.log, err, sess.QueryID)
	}()

	compression, err := compressionOption(stream.Context())
	if err != nil {
		return err
	}
	q, err := s.engine.Prepare(ctx, QueryRequest{Principal: p, SQL: sql, Session: sess})
	if err != nil {
		return err
	}
	values, err := decodeParams(params, q.ParamSchema(), s.mem)
	if err != nil {
		return err
	}
	rdr, err := q.Execute(ctx, values)
	if err != nil {
		return err
	}
	defer rdr.Release()

	md := metadata.Pairs(queryIDHeader, sess.QueryID)
	for _, w := range q.Warnings() {
		md.Append(warningHeader, w)
	}
	if err := stream.SetHeader(md); err != nil {
		return err
	}
	// The stream announces the same annotated schema as the FlightInfo.
	schema := resultSchema(rdr.Schema())
	wopts := append([]ipc.Option{ipc.WithSchema(schema), ipc.WithAllocator(s.mem)}, compression...)
	w := flight.NewRecordWriter(counted, wopts...)
	for rdr.Next() {
		if ctx.Err() != nil {
			break
		}
		rec := rdr.RecordBatch()
		plain, err := plainRecord(ctx, s.mem, rec, schema)
		if err != nil {
			_ = w.Close()
			return err
		}
		parts := splitRecord(plain, s.opts.MaxBatchBytes)
		plain.Release()
		for _, part := range parts {
			if err == nil {
				err = w.Write(part)
			}
			part.Release()
		}
		if err != nil {
			_ = w.Close()
			return err
		}
		rows += rec.NumRows()
	}
	if err := rdr.Err(); err != nil {
		_ = w.Close()
		return err
	}
	return w.Close()
}

// countingSender counts the bytes of every message it sends.
type countingSender struct {
	stream flight.FlightService_DoGetServer
	bytes  int64
}

func (c *countingSender) Send(fd *flight.FlightData) error {
	c.bytes += int64(len(fd.DataHeader) + len(fd.DataBody) + len(fd.AppMetadata))
	return c.stream.Send(fd)
}

// compressionOption reads the client's compression request: results are uncompressed
// unless the client asks (the JDBC driver cannot read compressed IPC).
func compressionOption(ctx context.Context) ([]ipc.Option, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	switch v := strings.ToLower(firstHeader(md, compressionHeader)); v {
	case "", "none":
		return nil, nil
	case "lz4", "lz4_frame":
		return []ipc.Option{ipc.WithLZ4()}, nil
	case "zstd":
		return []ipc.Option{ipc.WithZstd()}, nil
	default:
		return nil, errs.New(errs.KindInvalidArgument, "unknown %s %q: use lz4, zstd or none", compressionHeader, v)
	}
}

// finishQuery records one query: the queries_total metric and one log line. The log line
// identifies the SQL by hash and never carries parameter values.
func (s *Server) finishQuery(ctx context.Context, p *governance.Principal, queryID, sql string, start time.Time, rows, bytes int64, err error) {
	outcome := outcomeOf(err)
	s.metrics.queries.WithLabelValues(outcome).Inc()
	s.metrics.rows.Add(float64(rows))
	s.metrics.bytes.Add(float64(bytes))
	attrs := []slog.Attr{
		slog.String("query_id", queryID),
		slog.String("user", p.User),
		slog.Duration("duration", s.opts.Now().Sub(start)),
		slog.Int64("rows", rows),
		slog.Int64("bytes", bytes),
		slog.String("outcome", outcome),
		slog.String("sql_sha256", sqlFingerprint(sql)),
	}
	level := slog.LevelInfo
	if err != nil {
		level = slog.LevelWarn
		if errs.KindOf(err) != errs.KindInternal {
			attrs = append(attrs, slog.String("error", err.Error()))
		}
	}
	s.log.LogAttrs(ctx, level, "query", attrs...)
}

func sqlFingerprint(sql string) string {
	sum := sha256.Sum256([]byte(sql))
	return hex.EncodeToString(sum[:8])
}
