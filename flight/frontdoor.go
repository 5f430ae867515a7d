package flight

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	pb "github.com/apache/arrow-go/v18/arrow/flight/gen/flight"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/meshgate/meshgate/internal/errs"
)

// frontDoor wraps the Flight service arrow-go's flightsql package builds. It answers the
// calls the Flight SQL routing cannot: the handshake, plain-SQL descriptors and tickets from
// raw pyarrow.flight clients (the routing rejects anything that is not an Any-wrapped
// command), and query tickets, which it streams itself to control headers, compression and
// message sizes. Everything else is delegated.
type frontDoor struct {
	flight.FlightServer
	srv *Server
	sql *sqlServer
}

func (d *frontDoor) Handshake(stream flight.FlightService_HandshakeServer) error {
	return d.srv.handshake(stream)
}

func (d *frontDoor) GetFlightInfo(ctx context.Context, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	if sql, ok, err := rawSQL(desc); ok || err != nil {
		if err != nil {
			return nil, err
		}
		return d.sql.statementInfo(ctx, sql, desc)
	}
	return d.FlightServer.GetFlightInfo(ctx, desc)
}

func (d *frontDoor) GetSchema(ctx context.Context, desc *flight.FlightDescriptor) (*flight.SchemaResult, error) {
	if sql, ok, err := rawSQL(desc); ok || err != nil {
		if err != nil {
			return nil, err
		}
		return d.sql.statementSchema(ctx, sql)
	}
	return d.FlightServer.GetSchema(ctx, desc)
}

func (d *frontDoor) DoGet(ticket *flight.Ticket, stream flight.FlightService_DoGetServer) error {
	raw := ticket.GetTicket()
	if sealed, ok := meshgateTicket(raw); ok {
		return d.srv.doGetTicket(sealed, stream)
	}
	if url, ok := flightSQLTypeURL(raw); ok {
		if strings.HasSuffix(url, ".CommandPreparedStatementQuery") {
			var wrapped anypb.Any
			var cmd pb.CommandPreparedStatementQuery
			if proto.Unmarshal(raw, &wrapped) == nil && wrapped.UnmarshalTo(&cmd) == nil {
				return d.srv.doGetPrepared(cmd.GetPreparedStatementHandle(), stream)
			}
		}
		return d.FlightServer.DoGet(ticket, stream)
	}
	if sql := strings.TrimSpace(string(raw)); sql != "" && utf8.Valid(raw) {
		return d.srv.doGetSQL(sql, stream)
	}
	return errs.New(errs.KindInvalidArgument, "ticket is neither a meshgate ticket, a Flight SQL command nor SQL text; get a ticket from GetFlightInfo")
}

func (d *frontDoor) ListFlights(*flight.Criteria, flight.FlightService_ListFlightsServer) error {
	return errs.NotSupportedf("ListFlights; list datasets with the Flight SQL GetTables command or SELECT * FROM mesh.datasets")
}

func (d *frontDoor) DoExchange(flight.FlightService_DoExchangeServer) error {
	return errs.NotSupportedf("DoExchange; run queries with GetFlightInfo and DoGet")
}

// ListActions lists the actions meshgate implements (the routing would also list the
// transaction and Substrait actions it refuses).
func (d *frontDoor) ListActions(_ *flight.Empty, stream flight.FlightService_ListActionsServer) error {
	for _, a := range []string{
		flight.CancelFlightInfoActionType,
		flight.RenewFlightEndpointActionType,
		flight.SetSessionOptionsActionType,
		flight.GetSessionOptionsActionType,
		flight.CloseSessionActionType,
		flightsql.CreatePreparedStatementActionType,
		flightsql.ClosePreparedStatementActionType,
		flightsql.CancelQueryActionType,
	} {
		if err := stream.Send(&flight.ActionType{Type: a}); err != nil {
			return err
		}
	}
	return nil
}

// rawSQL returns the SQL text of a command descriptor that is not a Flight SQL command.
func rawSQL(desc *flight.FlightDescriptor) (string, bool, error) {
	if desc.GetType() == flight.DescriptorPATH {
		return "", false, errs.NotSupportedf("path descriptors; send SQL text or a Flight SQL command as a command descriptor")
	}
	cmd := desc.GetCmd()
	if isFlightSQLCommand(cmd) {
		return "", false, nil
	}
	sql := strings.TrimSpace(string(cmd))
	if sql == "" || !utf8.Valid(cmd) {
		return "", false, errs.New(errs.KindInvalidArgument, "command is neither a Flight SQL command nor UTF-8 SQL text")
	}
	return sql, true, nil
}

func anyTypeURL(b []byte) (string, bool) {
	var wrapped anypb.Any
	if len(b) == 0 || proto.Unmarshal(b, &wrapped) != nil {
		return "", false
	}
	return wrapped.GetTypeUrl(), true
}
