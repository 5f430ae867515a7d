package flight

import (
	"context"
	"crypto/rand"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/meshgate/meshgate/governance"
	"github.com/meshgate/meshgate/internal/errs"
)

// sqlServer implements arrow-go's flightsql.Server for the routing the front door
// delegates to.
type sqlServer struct {
	flightsql.BaseServer
	srv  *Server
	info flightsql.SqlInfoResultMap // what GetSqlInfo reports, see sqlInfoTable
}

var _ flightsql.Server = (*sqlServer)(nil)

// maxBoundParamBytes bounds the parameter values a ticket carries, so a FlightInfo stays
// well under the 4 MiB gRPC clients accept by default.
const maxBoundParamBytes = 1 << 20

var (
	errReadOnly = errs.New(errs.KindNotSupported, "meshgate serves read-only queries: run SELECT statements; change data in the domain's source")
	errIngest   = errs.New(errs.KindNotSupported, "meshgate serves read-only queries, so bulk ingestion is refused: load data into the domain's source and publish it as a data product")
	errNoTxn    = errs.NotSupportedf("transactions; meshgate is read-only, run statements without a transaction")
	errNoPlans  = errs.NotSupportedf("Substrait plans; send SQL text")
)

// plan prepares sql for the caller of ctx, sends the engine's warnings as response headers,
// and counts a planning failure as a failed query.
func (s *sqlServer) plan(ctx context.Context, sql string, sess Session) (Query, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	start := s.srv.opts.Now()
	q, err := s.srv.engine.Prepare(ctx, QueryRequest{Principal: p, SQL: sql, Session: sess})
	if err != nil {
		s.srv.finishQuery(ctx, p, sess.QueryID, sql, start, 0, 0, err)
		return nil, toStatus(s.srv.log, err, sess.QueryID)
	}
	sendWarnings(ctx, sess.QueryID, q.Warnings())
	return q, nil
}

func sendWarnings(ctx context.Context, queryID string, warnings []string) {
	md := metadata.MD{}
	if queryID != "" {
		md.Append(queryIDHeader, queryID)
	}
	for _, w := range warnings {
		md.Append(warningHeader, w)
	}
	_ = grpc.SetHeader(ctx, md)
}

func (s *sqlServer) callSession(ctx context.Context) (*governance.Principal, Session, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, Session{}, err
	}
	sess := s.srv.sessionOf(ctx, p)
	sess.QueryID = newID()
	return p, sess, nil
}

// statementInfo plans sql and returns a FlightInfo whose ticket carries everything needed
// to run it on any node.
func (s *sqlServer) statementInfo(ctx context.Context, sql string, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	p, sess, err := s.callSession(ctx)
	if err != nil {
		return nil, err
	}
	q, err := s.plan(ctx, sql, sess)
	if err != nil {
		return nil, err
	}
	if n := q.ParamSchema().NumFields(); n > 0 {
		return nil, errs.New(errs.KindInvalidArgument, "the statement has %d parameter(s): prepare it and bind values before executing", n)
	}
	return s.ticketInfo(desc, resultSchema(q.Schema()), ticketClaims{
		QueryID: sess.QueryID, User: p.User, SQL: sql,
		Catalog: sess.Catalog, Schema: sess.Schema, Application: sess.Application,
	})
}

func (s *sqlServer) ticketInfo(desc *flight.FlightDescriptor, schema *arrow.Schema, c ticketClaims) (*flight.FlightInfo, error) {
	ticket, exp, err := s.srv.issueTicket(c)
	if err != nil {
		return nil, err
	}
	return s.srv.flightInfo(desc, schema, ticket, exp), nil
}

func (s *sqlServer) statementSchema(ctx context.Context, sql string) (*flight.SchemaResult, error) {
	_, sess, err := s.callSession(ctx)
	if err != nil {
		return nil, err
	}
	q, err := s.plan(ctx, sql, sess)
	if err != nil {
		return nil, err
	}
	return &flight.SchemaResult{Schema: flight.SerializeSchema(resultSchema(q.Schema()), s.srv.mem)}, nil
}

func (s *sqlServer) GetFlightInfoStatement(ctx context.Context, cmd flightsql.StatementQuery, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	if len(cmd.GetTransactionId()) > 0 {
		return nil, errNoTxn
	}
	return s.statementInfo(ctx, cmd.GetQuery(), desc)
}

func (s *sqlServer) GetSchemaStatement(ctx context.Context, cmd flightsql.StatementQuery, _ *flight.FlightDescriptor) (*flight.SchemaResult, error) {
	return s.statementSchema(ctx, cmd.GetQuery())
}

// DoGetStatement is reached only for statement tickets meshgate did not issue: the front
// door streams its own tickets.
func (s *sqlServer) DoGetStatement(context.Context, flightsql.StatementQueryTicket) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	return nil, nil, errs.New(errs.KindInvalidArgument, "ticket was not issued by meshgate; request one with GetFlightInfo")
}

func (s *sqlServer) PollFlightInfo(ctx context.Context, desc *flight.FlightDescriptor) (*flight.PollInfo, error) {
	sql, ok, err := rawSQL(desc)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errs.NotSupportedf("PollFlightInfo for this command; use GetFlightInfo")
	}
	return completed(s.statementInfo(ctx, sql, desc))
}

// Queries run when their ticket is redeemed, so planning is all there is to poll for.
func (s *sqlServer) PollFlightInfoStatement(ctx context.Context, cmd flightsql.StatementQuery, desc *flight.FlightDescriptor) (*flight.PollInfo, error) {
	return completed(s.GetFlightInfoStatement(ctx, cmd, desc))
}

func (s *sqlServer) PollFlightInfoPreparedStatement(ctx context.Context, cmd flightsql.PreparedStatementQuery, desc *flight.FlightDescriptor) (*flight.PollInfo, error) {
	return completed(s.GetFlightInfoPreparedStatement(ctx, cmd, desc))
}

func completed(info *flight.FlightInfo, err error) (*flight.PollInfo, error) {
	if err != nil {
		return nil, err
	}
	progress := 1.0
	return &flight.PollInfo{Info: info, Progress: &progress}, nil
}

// CreatePreparedStatement plans the query and keeps it under a new handle with its dataset
// and parameter schemas.
func (s *sqlServer) CreatePreparedStatement(ctx context.Context, req flightsql.ActionCreatePreparedStatementRequest) (flightsql.ActionCreatePreparedStatementResult, error) {
	var res flightsql.ActionCreatePreparedStatementResult
	if len(req.GetTransactionId()) > 0 {
		return res, errNoTxn
	}
	p, sess, err := s.callSession(ctx)
	if err != nil {
		return res, err
	}
	q, err := s.plan(ctx, req.GetQuery(), sess)
	if err != nil {
		return res, err
	}
	st := &preparedStatement{
		user: p.User, sql: req.GetQuery(), session: sess,
		datasetSchema: resultSchema(q.Schema()), paramSchema: q.ParamSchema(), warnings: q.Warnings(),
	}
	handle, err := s.srv.prepared.add(st)
	if err != nil {
		return res, err
	}
	// Every statement meshgate accepts is a query: saying so spares clients (the JDBC driver)
	// guessing from the dataset schema.
	isUpdate := false
	return flightsql.ActionCreatePreparedStatementResult{
		Handle: handle, DatasetSchema: st.datasetSchema, ParameterSchema: clientParamSchema(st.paramSchema),
		IsUpdate: &isUpdate,
	}, nil
}

// clientParamSchema is the parameter schema clients are told to bind. It differs from the
// engine's in one way: timestamps are announced in milliseconds. The Flight SQL JDBC driver
// builds its parameter vectors from this schema and writes java.sql.Timestamp milliseconds
// into them without converting units, so a microsecond schema would bind 2024-01-02 as
// 1970-01-20; every other client binds its own types, which paramValues converts to the
// engine's, whatever the unit.
func clientParamSchema(s *arrow.Schema) *arrow.Schema {
	fields := s.Fields()
	changed := false
	for i, f := range fields {
		if ts, ok := f.Type.(*arrow.TimestampType); ok && ts.Unit != arrow.Millisecond {
			fields[i].Type = &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: ts.TimeZone}
			changed = true
		}
	}
	if !changed {
		return s
	}
	md := s.Metadata()
	return arrow.NewSchema(fields, &md)
}

func (s *sqlServer) ClosePreparedStatement(ctx context.Context, req flightsql.ActionClosePreparedStatementRequest) error {
	p, err := principalOf(ctx)
	if err != nil {
		return err
	}
	return s.srv.prepared.remove(req.GetPreparedStatementHandle(), p.User)
}

// DoPutPreparedStatementQuery binds one row of parameter values. Binding never changes the
// statement's schemas, so the handle stays the same; it is still returned in
// DoPutPreparedStatementResult as the Flight SQL protocol allows, and clients that ignore
// the result keep working.
func (s *sqlServer) DoPutPreparedStatementQuery(ctx context.Context, cmd flightsql.PreparedStatementQuery, rdr flight.MessageReader, _ flight.MetadataWriter) ([]byte, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	handle := cmd.GetPreparedStatementHandle()
	st, err := s.srv.prepared.get(handle, p.User)
	if err != nil {
		return nil, err
	}
	var (
		bound arrow.RecordBatch
		rows  int64
	)
	defer func() {
		if bound != nil {
			bound.Release()
		}
	}()
	for rdr.Next() {
		rec := rdr.RecordBatch()
		rows += rec.NumRows()
		if rec.NumRows() > 0 && bound == nil {
			rec.Retain()
			bound = rec
		}
	}
	if err := rdr.Err(); err != nil {
		return nil, errs.Wrap(errs.KindInvalidArgument, err, "reading bound parameters")
	}
	var encoded []byte
	switch {
	case rows == 0:
		// An empty binding clears earlier values.
	case rows > 1:
		return nil, errs.NotSupportedf("binding %d parameter rows at once; bind one row per execution", rows)
	default:
		if _, err := paramValues(bound, st.paramSchema); err != nil {
			return nil, err
		}
		if encoded, err = encodeParams(bound, s.srv.mem); err != nil {
			return nil, err
		}
		if len(encoded) > maxBoundParamBytes {
			return nil, errs.New(errs.KindResourceExhausted, "bound parameters take %d bytes, more than the %d a ticket can carry; filter with smaller values", len(encoded), maxBoundParamBytes)
		}
	}
	if err := s.srv.prepared.bind(handle, p.User, encoded); err != nil {
		return nil, err
	}
	return handle, nil
}

func (s *sqlServer) GetFlightInfoPreparedStatement(ctx context.Context, cmd flightsql.PreparedStatementQuery, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	st, err := s.srv.prepared.get(cmd.GetPreparedStatementHandle(), p.User)
	if err != nil {
		return nil, err
	}
	if n := st.paramSchema.NumFields(); n > 0 && st.params == nil {
		return nil, errs.New(errs.KindInvalidArgument, "the prepared statement has %d parameter(s): bind values before executing", n)
	}
	queryID := newID()
	sendWarnings(ctx, queryID, st.warnings)
	return s.ticketInfo(desc, st.datasetSchema, ticketClaims{
		QueryID: queryID, User: p.User, SQL: st.sql, Params: st.params,
		Catalog: st.session.Catalog, Schema: st.session.Schema, Application: st.session.Application,
	})
}

func (s *sqlServer) GetSchemaPreparedStatement(ctx context.Context, cmd flightsql.PreparedStatementQuery, _ *flight.FlightDescriptor) (*flight.SchemaResult, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	st, err := s.srv.prepared.get(cmd.GetPreparedStatementHandle(), p.User)
	if err != nil {
		return nil, err
	}
	return &flight.SchemaResult{Schema: flight.SerializeSchema(st.datasetSchema, s.srv.mem)}, nil
}

// CancelFlightInfo cancels the query behind a FlightInfo: the running execution on this node
// and any later redemption of its ticket.
func (s *sqlServer) CancelFlightInfo(ctx context.Context, req *flight.CancelFlightInfoRequest) (flight.CancelFlightInfoResult, error) {
	status, err := s.cancel(ctx, req.GetInfo())
	// The result is built here as a literal: it holds a protobuf lock and must not be copied.
	return flight.CancelFlightInfoResult{Status: status}, err
}

func (s *sqlServer) cancel(ctx context.Context, info *flight.FlightInfo) (flight.CancelStatus, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return flight.CancelStatusUnspecified, err
	}
	if info == nil {
		return flight.CancelStatusUnspecified, errs.New(errs.KindInvalidArgument, "CancelFlightInfo needs the FlightInfo of the query to cancel")
	}
	found := false
	for _, ep := range info.GetEndpoint() {
		sealed, ok := meshgateTicket(ep.GetTicket().GetTicket())
		if !ok {
			continue
		}
		c, err := s.srv.redeemTicket(sealed, p)
		if err != nil && errs.KindOf(err) != errs.KindFailedPrecondition {
			// An expired ticket may still be running; anything else is refused.
			return flight.CancelStatusUnspecified, err
		}
		now := s.srv.opts.Now()
		s.srv.running.cancel(c.QueryID, time.UnixMilli(c.Expires), now,
			errs.New(errs.KindCanceled, "query %s was cancelled", c.QueryID))
		found = true
	}
	if !found {
		// Metadata results and foreign tickets finish at once; there is nothing to stop.
		return flight.CancelStatusNotCancellable, nil
	}
	return flight.CancelStatusCancelled, nil
}

// RenewFlightEndpoint extends a ticket's expiry.
func (s *sqlServer) RenewFlightEndpoint(ctx context.Context, req *flight.RenewFlightEndpointRequest) (*flight.FlightEndpoint, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	ep := req.GetEndpoint()
	sealed, ok := meshgateTicket(ep.GetTicket().GetTicket())
	if !ok {
		return nil, errs.New(errs.KindInvalidArgument, "only meshgate query tickets can be renewed")
	}
	c, err := s.srv.redeemTicket(sealed, p)
	if err != nil {
		return nil, err
	}
	info, err := s.ticketInfo(nil, arrow.NewSchema(nil, nil), c)
	if err != nil {
		return nil, err
	}
	renewed := info.Endpoint[0]
	renewed.AppMetadata = ep.GetAppMetadata()
	return renewed, nil
}

func (s *sqlServer) DoPutCommandStatementUpdate(context.Context, flightsql.StatementUpdate) (int64, error) {
	return 0, errReadOnly
}

func (s *sqlServer) DoPutPreparedStatementUpdate(context.Context, flightsql.PreparedStatementUpdate, flight.MessageReader) (int64, error) {
	return 0, errReadOnly
}

func (s *sqlServer) DoPutCommandStatementIngest(context.Context, flightsql.StatementIngest, flight.MessageReader) (int64, error) {
	return 0, errIngest
}

func (s *sqlServer) GetFlightInfoSubstraitPlan(context.Context, flightsql.StatementSubstraitPlan, *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return nil, errNoPlans
}

func (s *sqlServer) GetSchemaSubstraitPlan(context.Context, flightsql.StatementSubstraitPlan, *flight.FlightDescriptor) (*flight.SchemaResult, error) {
	return nil, errNoPlans
}

func (s *sqlServer) DoPutCommandSubstraitPlan(context.Context, flightsql.StatementSubstraitPlan) (int64, error) {
	return 0, errNoPlans
}

func (s *sqlServer) CreatePreparedSubstraitPlan(context.Context, flightsql.ActionCreatePreparedSubstraitPlanRequest) (flightsql.ActionCreatePreparedStatementResult, error) {
	return flightsql.ActionCreatePreparedStatementResult{}, errNoPlans
}

func (s *sqlServer) PollFlightInfoSubstraitPlan(context.Context, flightsql.StatementSubstraitPlan, *flight.FlightDescriptor) (*flight.PollInfo, error) {
	return nil, errNoPlans
}

func (s *sqlServer) BeginTransaction(context.Context, flightsql.ActionBeginTransactionRequest) ([]byte, error) {
	return nil, errNoTxn
}

func (s *sqlServer) BeginSavepoint(context.Context, flightsql.ActionBeginSavepointRequest) ([]byte, error) {
	return nil, errNoTxn
}

func (s *sqlServer) EndTransaction(context.Context, flightsql.ActionEndTransactionRequest) error {
	return errNoTxn
}

func (s *sqlServer) EndSavepoint(context.Context, flightsql.ActionEndSavepointRequest) error {
	return errNoTxn
}

// preparedStatement is a planned statement kept for its owner.
type preparedStatement struct {
	user          string
	sql           string
	session       Session
	datasetSchema *arrow.Schema
	paramSchema   *arrow.Schema
	warnings      []string
	params        []byte // bound values, see encodeParams; nil until bound
	lastUsed      time.Time
}

// preparedStatements holds prepared statements on the node that created them, under random
// opaque handles, per principal: a handle used by another user is "not found". Statements
// idle longer than the TTL are closed lazily (no background goroutine), and a user may hold
// at most limit statements at once.
type preparedStatements struct {
	mu     sync.Mutex
	byID   map[string]*preparedStatement
	ttl    time.Duration
	limit  int
	now    func() time.Time
	perUsr map[string]int
}

func newPreparedStatements(ttl time.Duration, limit int, now func() time.Time) *preparedStatements {
	return &preparedStatements{byID: map[string]*preparedStatement{}, perUsr: map[string]int{}, ttl: ttl, limit: limit, now: now}
}

func (ps *preparedStatements) add(st *preparedStatement) ([]byte, error) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	now := ps.now()
	ps.evictIdle(now)
	if ps.perUsr[st.user] >= ps.limit {
		return nil, errs.New(errs.KindResourceExhausted, "user %s has %d open prepared statements, the limit on this node; close statements you no longer use", st.user, ps.limit)
	}
	handle := make([]byte, 16)
	_, _ = rand.Read(handle)
	st.lastUsed = now
	ps.byID[string(handle)] = st
	ps.perUsr[st.user]++
	return handle, nil
}

func (ps *preparedStatements) evictIdle(now time.Time) {
	for id, st := range ps.byID {
		if now.Sub(st.lastUsed) > ps.ttl {
			ps.deleteLocked(id, st)
		}
	}
}

func (ps *preparedStatements) deleteLocked(id string, st *preparedStatement) {
	delete(ps.byID, id)
	if ps.perUsr[st.user]--; ps.perUsr[st.user] <= 0 {
		delete(ps.perUsr, st.user)
	}
}

func (ps *preparedStatements) lookupLocked(handle []byte, user string) (*preparedStatement, error) {
	st, ok := ps.byID[string(handle)]
	now := ps.now()
	if ok && now.Sub(st.lastUsed) > ps.ttl {
		ps.deleteLocked(string(handle), st)
		ok = false
	}
	if !ok || st.user != user {
		return nil, errs.New(errs.KindNotFound, "prepared statement not found: it was closed, was idle longer than %s, or was created on another node; prepare it again", ps.ttl)
	}
	st.lastUsed = now
	return st, nil
}

// get returns a copy of the statement, so callers read it without the lock.
func (ps *preparedStatements) get(handle []byte, user string) (preparedStatement, error) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	st, err := ps.lookupLocked(handle, user)
	if err != nil {
		return preparedStatement{}, err
	}
	return *st, nil
}

func (ps *preparedStatements) bind(handle []byte, user string, params []byte) error {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	st, err := ps.lookupLocked(handle, user)
	if err != nil {
		return err
	}
	st.params = params
	return nil
}

func (ps *preparedStatements) remove(handle []byte, user string) error {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	st, err := ps.lookupLocked(handle, user)
	if err != nil {
		return err
	}
	ps.deleteLocked(string(handle), st)
	return nil
}
