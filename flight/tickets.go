package flight

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/apache/arrow-go/v18/arrow/flight"
	pb "github.com/apache/arrow-go/v18/arrow/flight/gen/flight"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/meshgate/meshgate/governance"
	"github.com/meshgate/meshgate/internal/errs"
)

// A ticket is self-contained: everything DoGet needs to re-plan and run the query, signed
// with the node key (governance.Identities.Seal) so any node of the cluster can redeem it
// and nobody can alter it. It is signed, not encrypted: it holds the caller's own SQL and
// parameter values and goes back only to that caller.
//
// On the wire it is a Flight SQL TicketStatementQuery (so generic clients see a well-formed
// ticket) whose statement handle is ticketPrefix + the sealed claims.
const ticketPrefix = "mgt1."

type ticketClaims struct {
	QueryID     string `json:"q"`
	User        string `json:"u"`
	SQL         string `json:"sql"`
	Params      []byte `json:"p,omitempty"` // one-row Arrow IPC stream, see encodeParams
	Catalog     string `json:"c,omitempty"`
	Schema      string `json:"s,omitempty"`
	Application string `json:"a,omitempty"`
	Expires     int64  `json:"exp"` // Unix milliseconds
}

func (c ticketClaims) session(base Session) Session {
	base.Catalog, base.Schema, base.QueryID = c.Catalog, c.Schema, c.QueryID
	if c.Application != "" {
		base.Application = c.Application
	}
	return base
}

func newID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// issueTicket seals claims into a Flight ticket and returns it with its expiry.
func (s *Server) issueTicket(c ticketClaims) (*flight.Ticket, time.Time, error) {
	exp := s.opts.Now().Add(s.opts.TicketTTL)
	c.Expires = exp.UnixMilli()
	body, err := json.Marshal(c)
	if err != nil {
		return nil, time.Time{}, errs.Wrap(errs.KindInternal, err, "encoding ticket")
	}
	wrapped, err := anypb.New(&pb.TicketStatementQuery{StatementHandle: []byte(ticketPrefix + s.ids.Seal(body))})
	if err != nil {
		return nil, time.Time{}, errs.Wrap(errs.KindInternal, err, "encoding ticket")
	}
	raw, err := proto.Marshal(wrapped)
	if err != nil {
		return nil, time.Time{}, errs.Wrap(errs.KindInternal, err, "encoding ticket")
	}
	return &flight.Ticket{Ticket: raw}, exp, nil
}

// meshgateTicket reports whether raw is a ticket this server family issued and returns its
// sealed part.
func meshgateTicket(raw []byte) (string, bool) {
	var wrapped anypb.Any
	if proto.Unmarshal(raw, &wrapped) != nil {
		return "", false
	}
	var tq pb.TicketStatementQuery
	if wrapped.UnmarshalTo(&tq) != nil {
		return "", false
	}
	sealed, ok := bytes.CutPrefix(tq.GetStatementHandle(), []byte(ticketPrefix))
	return string(sealed), ok
}

// redeemTicket verifies a ticket's signature, owner and expiry and returns its claims; an
// expired ticket's claims come back with the error (CancelFlightInfo still needs its id).
func (s *Server) redeemTicket(sealed string, p *governance.Principal) (ticketClaims, error) {
	var c ticketClaims
	body, err := s.ids.Open(sealed)
	if err != nil || json.Unmarshal(body, &c) != nil {
		return ticketClaims{}, errs.New(errs.KindInvalidArgument, "invalid ticket: its signature does not match; request a new ticket with GetFlightInfo")
	}
	if c.User != p.User {
		return ticketClaims{}, errs.New(errs.KindPermissionDenied, "ticket for query %s was issued to another user; request your own ticket with GetFlightInfo", c.QueryID)
	}
	if s.opts.Now().UnixMilli() >= c.Expires {
		return c, errs.New(errs.KindFailedPrecondition, "ticket for query %s expired; request a new ticket with GetFlightInfo", c.QueryID)
	}
	return c, nil
}
