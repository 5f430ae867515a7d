package flight

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/flight"
	pb "github.com/apache/arrow-go/v18/arrow/flight/gen/flight"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/meshgate/meshgate/governance"
)

// Session state is a signed cookie, not server memory: any node of the cluster can read it,
// and a restart loses nothing. Clients without a cookie jar (ADBC without its cookie option,
// pyarrow) can send the same choices as headers on every call instead.
const (
	sessionCookieName = "meshgate_session"
	catalogHeader     = "x-meshgate-catalog"
	schemaHeader      = "x-meshgate-schema"
	applicationHeader = "x-meshgate-application"

	sessionOptionCatalog = "catalog"
	sessionOptionSchema  = "schema"
)

type sessionState struct {
	User    string `json:"u"`
	Catalog string `json:"c,omitempty"`
	Schema  string `json:"s,omitempty"`
}

// sessionOf returns the session a call runs in: defaults, then the session cookie (if it was
// issued to this principal), then the override headers.
func (s *Server) sessionOf(ctx context.Context, p *governance.Principal) Session {
	st := s.sessionState(ctx, p)
	md, _ := metadata.FromIncomingContext(ctx)
	sess := Session{Catalog: st.Catalog, Schema: st.Schema}
	if v := firstHeader(md, catalogHeader); v != "" {
		sess.Catalog = v
	}
	if v := firstHeader(md, schemaHeader); v != "" {
		sess.Schema = v
	}
	if pr, ok := peer.FromContext(ctx); ok && pr.Addr != nil {
		sess.ClientAddr = pr.Addr.String()
	}
	sess.Application = firstHeader(md, applicationHeader)
	if sess.Application == "" {
		sess.Application = firstHeader(md, "user-agent")
	}
	return sess
}

func (s *Server) sessionState(ctx context.Context, p *governance.Principal) sessionState {
	st := sessionState{User: p.User, Catalog: s.opts.Catalog}
	md, _ := metadata.FromIncomingContext(ctx)
	cookie, err := (&http.Request{Header: http.Header{"Cookie": md.Get("cookie")}}).Cookie(sessionCookieName)
	if err != nil {
		return st
	}
	payload, err := s.ids.Open(cookie.Value)
	if err != nil {
		return st
	}
	var saved sessionState
	// A cookie issued to another user (a shared cookie jar) is ignored, not trusted.
	if json.Unmarshal(payload, &saved) != nil || saved.User != p.User {
		return st
	}
	if saved.Catalog != "" {
		st.Catalog = saved.Catalog
	}
	st.Schema = saved.Schema
	return st
}

func (s *Server) setSessionCookie(ctx context.Context, st sessionState) {
	payload, _ := json.Marshal(st)
	c := http.Cookie{Name: sessionCookieName, Value: s.ids.Seal(payload), HttpOnly: true}
	_ = grpc.SetHeader(ctx, metadata.Pairs("set-cookie", c.String()))
}

func firstHeader(md metadata.MD, key string) string {
	if v := md.Get(key); len(v) > 0 {
		return strings.TrimSpace(v[0])
	}
	return ""
}

func (s *sqlServer) SetSessionOptions(ctx context.Context, req *flight.SetSessionOptionsRequest) (*flight.SetSessionOptionsResult, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	st := s.srv.sessionState(ctx, p)
	result := &flight.SetSessionOptionsResult{}
	reject := func(name string, why pb.SetSessionOptionsResult_ErrorValue) {
		if result.Errors == nil {
			result.Errors = map[string]*pb.SetSessionOptionsResult_Error{}
		}
		result.Errors[name] = &pb.SetSessionOptionsResult_Error{Value: why}
	}
	var visibleSchemas []string
	for name, v := range req.GetSessionOptions() {
		str, isString := v.GetOptionValue().(*pb.SessionOptionValue_StringValue)
		erase := v.GetOptionValue() == nil
		switch strings.ToLower(name) {
		case sessionOptionCatalog:
			switch {
			case erase:
				st.Catalog = s.srv.opts.Catalog
			case isString && strings.EqualFold(str.StringValue, s.srv.opts.Catalog):
				st.Catalog = s.srv.opts.Catalog
			default:
				reject(name, flight.SetSessionOptionsResultErrorInvalidValue)
			}
		case sessionOptionSchema:
			switch {
			case erase || (isString && str.StringValue == ""):
				st.Schema = ""
			case isString:
				if visibleSchemas == nil {
					if visibleSchemas, err = s.visibleSchemas(ctx, p); err != nil {
						return nil, err
					}
				}
				if !slices.Contains(visibleSchemas, str.StringValue) {
					reject(name, flight.SetSessionOptionsResultErrorInvalidValue)
					continue
				}
				st.Schema = str.StringValue
			default:
				reject(name, flight.SetSessionOptionsResultErrorInvalidValue)
			}
		default:
			reject(name, flight.SetSessionOptionsResultErrorInvalidName)
		}
	}
	s.srv.setSessionCookie(ctx, st)
	return result, nil
}

func (s *sqlServer) GetSessionOptions(ctx context.Context, _ *flight.GetSessionOptionsRequest) (*flight.GetSessionOptionsResult, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	sess := s.srv.sessionOf(ctx, p)
	// The schema is always reported, "" when none is set: ADBC's current_db_schema treats a
	// missing option as "not supported" and fails.
	opts := map[string]any{sessionOptionCatalog: sess.Catalog, sessionOptionSchema: sess.Schema}
	values, err := flight.NewSessionOptionValues(opts)
	if err != nil {
		return nil, err
	}
	return &flight.GetSessionOptionsResult{SessionOptions: values}, nil
}

// CloseSession resets the session to its defaults by expiring the cookie; there is no server
// state to free.
func (s *sqlServer) CloseSession(ctx context.Context, _ *flight.CloseSessionRequest) (*flight.CloseSessionResult, error) {
	c := http.Cookie{Name: sessionCookieName, Value: "", MaxAge: -1}
	_ = grpc.SetHeader(ctx, metadata.Pairs("set-cookie", c.String()))
	return &flight.CloseSessionResult{Status: flight.CloseSessionResultClosed}, nil
}

func (s *sqlServer) visibleSchemas(ctx context.Context, p *governance.Principal) ([]string, error) {
	tables, err := s.srv.meta.Tables(ctx, p)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, t := range tables {
		if !slices.Contains(out, t.Schema) {
			out = append(out, t.Schema)
		}
	}
	return out, nil
}
