package flight

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	pb "github.com/apache/arrow-go/v18/arrow/flight/gen/flight"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

func TestRawFlightPlainSQL(t *testing.T) {
	env := startServer(t, nil)
	cl := rawClient(t, env.srv.Addr())
	ctx, err := cl.AuthenticateBasicToken(context.Background(), "alice", "secret")
	require.NoError(t, err)
	sql := flightsql.Client{Client: cl}

	t.Run("command descriptor holding SQL text", func(t *testing.T) {
		info, err := cl.GetFlightInfo(ctx, &flight.FlightDescriptor{Type: flight.DescriptorCMD, Cmd: []byte("SELECT * FROM sales.orders")})
		require.NoError(t, err)
		_, rows := fetch(t, ctx, &sql, info)
		require.Equal(t, ordersJSON, rows)

		res, err := cl.GetSchema(ctx, &flight.FlightDescriptor{Type: flight.DescriptorCMD, Cmd: []byte("SELECT * FROM sales.orders")})
		require.NoError(t, err)
		s, err := flight.DeserializeSchema(res.Schema, env.mem)
		require.NoError(t, err)
		require.Equal(t, "id", s.Field(0).Name)
	})

	t.Run("ticket holding SQL text", func(t *testing.T) {
		_, rows := fetch(t, ctx, &sql, &flight.FlightInfo{Endpoint: []*flight.FlightEndpoint{{Ticket: &flight.Ticket{Ticket: []byte("SELECT * FROM sales.orders")}}}})
		require.Equal(t, ordersJSON, rows)
	})

	t.Run("poll with SQL text", func(t *testing.T) {
		poll, err := cl.PollFlightInfo(ctx, &flight.FlightDescriptor{Type: flight.DescriptorCMD, Cmd: []byte("SELECT * FROM sales.orders")})
		require.NoError(t, err)
		_, rows := fetch(t, ctx, &sql, poll.Info)
		require.Equal(t, ordersJSON, rows)
	})

	t.Run("path descriptors and binary garbage", func(t *testing.T) {
		_, err := cl.GetFlightInfo(ctx, &flight.FlightDescriptor{Type: flight.DescriptorPATH, Path: []string{"sales", "orders"}})
		requireCode(t, err, codes.Unimplemented, "not supported yet: path descriptors")
		_, err = cl.GetFlightInfo(ctx, &flight.FlightDescriptor{Type: flight.DescriptorCMD, Cmd: []byte{0xff, 0xfe, 0x00}})
		requireCode(t, err, codes.InvalidArgument, "neither a Flight SQL command nor UTF-8 SQL text")
		err = fetchErr(ctx, &sql, &flight.Ticket{Ticket: []byte{0xff, 0xfe}})
		requireCode(t, err, codes.InvalidArgument, "get a ticket from GetFlightInfo")
	})
}

// sealedPart returns a meshgate ticket's sealed claims.
func sealedPart(t *testing.T, ticket *flight.Ticket) string {
	t.Helper()
	sealed, ok := meshgateTicket(ticket.Ticket)
	require.True(t, ok)
	return sealed
}

func ticketFrom(t *testing.T, sealed string) *flight.Ticket {
	t.Helper()
	wrapped, err := anypb.New(&pb.TicketStatementQuery{StatementHandle: []byte(ticketPrefix + sealed)})
	require.NoError(t, err)
	raw, err := proto.Marshal(wrapped)
	require.NoError(t, err)
	return &flight.Ticket{Ticket: raw}
}

func TestTicketsAreVerified(t *testing.T) {
	env := startServer(t, nil)
	alice, aliceCtx := env.sqlClient("alice")
	bob, bobCtx := env.sqlClient("bob")

	info, err := alice.Execute(aliceCtx, "SELECT * FROM sales.orders")
	require.NoError(t, err)
	ticket := info.Endpoint[0].Ticket

	t.Run("tampered", func(t *testing.T) {
		sealed := sealedPart(t, ticket)
		payload, sig, _ := strings.Cut(sealed, ".")
		flipped := []byte(payload)
		flipped[10] ^= 1
		err := fetchErr(aliceCtx, alice, ticketFrom(t, string(flipped)+"."+sig))
		requireCode(t, err, codes.InvalidArgument, "invalid ticket: its signature does not match")
	})

	t.Run("another user's ticket", func(t *testing.T) {
		err := fetchErr(bobCtx, bob, ticket)
		requireCode(t, err, codes.PermissionDenied, "was issued to another user")
	})

	t.Run("redeemable until it expires", func(t *testing.T) {
		_, rows := fetch(t, aliceCtx, alice, info)
		require.Equal(t, ordersJSON, rows)
		env.clock.Advance(DefaultTicketTTL + time.Second)
		err := fetchErr(aliceCtx, alice, ticket)
		requireCode(t, err, codes.FailedPrecondition, "expired; request a new ticket")
	})

	t.Run("renewal extends the expiry", func(t *testing.T) {
		info, err := alice.Execute(aliceCtx, "SELECT * FROM sales.orders")
		require.NoError(t, err)
		env.clock.Advance(DefaultTicketTTL - time.Second)
		renewed, err := alice.RenewFlightEndpoint(aliceCtx, &flight.RenewFlightEndpointRequest{Endpoint: info.Endpoint[0]})
		require.NoError(t, err)
		env.clock.Advance(time.Minute)
		_, rows := fetch(t, aliceCtx, alice, &flight.FlightInfo{Endpoint: []*flight.FlightEndpoint{renewed}})
		require.Equal(t, ordersJSON, rows)
	})
}

func TestAnyNodeRedeemsATicket(t *testing.T) {
	// Two servers sharing the identity key stand in for two cluster nodes.
	first := startServer(t, nil)
	second := startServer(t, nil)
	cl1, ctx1 := first.sqlClient("alice")
	cl2, ctx2 := second.sqlClient("alice")
	info, err := cl1.Execute(ctx1, "SELECT * FROM sales.orders")
	require.NoError(t, err)
	_, rows := fetch(t, ctx2, cl2, info)
	require.Equal(t, ordersJSON, rows)
}

func TestTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := writeSelfSignedCert(t, dir)
	env := startServer(t, func(o *Options) { o.TLSCertFile, o.TLSKeyFile = certFile, keyFile })

	creds := credentials.NewTLS(&tls.Config{InsecureSkipVerify: true})
	cl, err := flightsql.NewClient(env.srv.Addr(), nil, nil, grpc.WithTransportCredentials(creds))
	require.NoError(t, err)
	defer cl.Close()
	ctx, err := cl.Client.AuthenticateBasicToken(context.Background(), "alice", "secret")
	require.NoError(t, err)
	info, err := cl.Execute(ctx, "SELECT * FROM sales.orders")
	require.NoError(t, err)
	_, rows := fetch(t, ctx, cl, info)
	require.Equal(t, ordersJSON, rows)

	plain, err := flightsql.NewClient(env.srv.Addr(), nil, nil, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer plain.Close()
	_, err = plain.Client.AuthenticateBasicToken(context.Background(), "alice", "secret")
	require.Error(t, err, "a plaintext client cannot talk to a TLS server")

	_, err = NewServer(Options{Addr: "127.0.0.1:0", TLSCertFile: certFile}, env.engine, env.engine, env.ids)
	require.ErrorContains(t, err, "set both or neither")
}

func writeSelfSignedCert(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "meshgate test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600))
	return certFile, keyFile
}

func TestLargeResultsArriveInBoundedMessages(t *testing.T) {
	env := startServer(t, nil)
	env.engine.withBig(t)
	cl, ctx := env.sqlClient("alice")

	for _, compression := range []string{"", "lz4", "zstd"} {
		t.Run("compression="+compression, func(t *testing.T) {
			callCtx := ctx
			if compression != "" {
				callCtx = metadata.AppendToOutgoingContext(ctx, compressionHeader, compression)
			}
			info, err := cl.Execute(callCtx, "SELECT * FROM sales.big")
			require.NoError(t, err)
			stream, err := cl.Client.DoGet(callCtx, info.Endpoint[0].Ticket)
			require.NoError(t, err)
			messages, largest := 0, 0
			rdr, err := flight.NewRecordReader(&sizeRecorder{stream: stream, largest: &largest, count: &messages})
			require.NoError(t, err)
			defer rdr.Release()
			rows := int64(0)
			for rdr.Next() {
				rows += rdr.RecordBatch().NumRows()
			}
			require.NoError(t, rdr.Err())
			require.EqualValues(t, bigRows, rows)
			require.LessOrEqual(t, largest, DefaultMaxBatchBytes, "largest IPC message")
			if compression == "" {
				require.GreaterOrEqual(t, messages, 6, "a ~20 MiB batch is sliced")
			}
		})
	}

	t.Run("unknown compression", func(t *testing.T) {
		info, err := cl.Execute(ctx, "SELECT * FROM sales.orders")
		require.NoError(t, err)
		err = fetchErr(metadata.AppendToOutgoingContext(ctx, compressionHeader, "snappy"), cl, info.Endpoint[0].Ticket)
		requireCode(t, err, codes.InvalidArgument, `unknown x-meshgate-compression "snappy"`)
	})
}

// sizeRecorder records the size of every IPC message of a DoGet stream.
type sizeRecorder struct {
	stream  flight.FlightService_DoGetClient
	largest *int
	count   *int
}

func (s *sizeRecorder) Recv() (*flight.FlightData, error) {
	fd, err := s.stream.Recv()
	if err == nil {
		*s.count++
		*s.largest = max(*s.largest, len(fd.DataHeader)+len(fd.DataBody))
	}
	return fd, err
}

func TestCancelARunningQuery(t *testing.T) {
	env := startServer(t, nil)
	cl, ctx := env.sqlClient("alice")

	for _, useDeprecatedAction := range []bool{false, true} {
		info, err := cl.Execute(ctx, sqlBlocking)
		require.NoError(t, err)
		done := make(chan error, 1)
		go func() { done <- fetchErr(ctx, cl, info.Endpoint[0].Ticket) }()
		<-env.engine.started

		if useDeprecatedAction {
			res, err := cl.CancelQuery(ctx, info)
			require.NoError(t, err)
			require.Equal(t, flightsql.CancelResultCancelled, res)
		} else {
			res, err := cl.CancelFlightInfo(ctx, &flight.CancelFlightInfoRequest{Info: info})
			require.NoError(t, err)
			require.Equal(t, flight.CancelStatusCancelled, res.Status)
		}
		requireCode(t, <-done, codes.Canceled, "was cancelled")

		err = fetchErr(ctx, cl, info.Endpoint[0].Ticket)
		requireCode(t, err, codes.Canceled, "was cancelled")
	}

	t.Run("only the owner cancels", func(t *testing.T) {
		info, err := cl.Execute(ctx, "SELECT * FROM sales.orders")
		require.NoError(t, err)
		bob, bobCtx := env.sqlClient("bob")
		_, err = bob.CancelFlightInfo(bobCtx, &flight.CancelFlightInfoRequest{Info: info})
		requireCode(t, err, codes.PermissionDenied, "issued to another user")
	})

	t.Run("metadata results are not cancellable", func(t *testing.T) {
		info, err := cl.GetCatalogs(ctx)
		require.NoError(t, err)
		res, err := cl.CancelFlightInfo(ctx, &flight.CancelFlightInfoRequest{Info: info})
		require.NoError(t, err)
		require.Equal(t, flight.CancelStatusNotCancellable, res.Status)
	})
	require.Contains(t, env.logs.String(), "outcome=canceled")
}

func TestSessionOptions(t *testing.T) {
	env := startServer(t, nil)
	cl, ctx := env.sqlClient("bob", flight.NewClientCookieMiddleware())
	str := func(v string) *flight.SessionOptionValue {
		sv, err := flight.NewSessionOptionValue(v)
		require.NoError(t, err)
		return &sv
	}

	_, err := cl.Execute(ctx, "SELECT * FROM orders")
	requireCode(t, err, codes.NotFound, "set a default schema")
	initial, err := cl.GetSessionOptions(ctx, &flight.GetSessionOptionsRequest{})
	require.NoError(t, err)
	require.Contains(t, initial.SessionOptions, "schema", "ADBC's current_db_schema needs the option even when unset")
	require.Equal(t, "", initial.SessionOptions["schema"].GetStringValue())

	res, err := cl.SetSessionOptions(ctx, &flight.SetSessionOptionsRequest{SessionOptions: map[string]*flight.SessionOptionValue{
		"schema":  str("sales"),
		"catalog": str("other"),
		"color":   str("blue"),
	}})
	require.NoError(t, err)
	require.Equal(t, flight.SetSessionOptionsResultErrorInvalidValue, res.Errors["catalog"].Value)
	require.Equal(t, flight.SetSessionOptionsResultErrorInvalidName, res.Errors["color"].Value)
	require.NotContains(t, res.Errors, "schema")

	got, err := cl.GetSessionOptions(ctx, &flight.GetSessionOptionsRequest{})
	require.NoError(t, err)
	require.Equal(t, "sales", got.SessionOptions["schema"].GetStringValue())
	require.Equal(t, "mesh", got.SessionOptions["catalog"].GetStringValue())

	info, err := cl.Execute(ctx, "SELECT * FROM orders")
	require.NoError(t, err)
	_, rows := fetch(t, ctx, cl, info)
	require.Equal(t, ordersJSON, rows)
	require.Equal(t, "sales", env.engine.lastRequest().Session.Schema, "the ticket carries the session to DoGet")

	res, err = cl.SetSessionOptions(ctx, &flight.SetSessionOptionsRequest{SessionOptions: map[string]*flight.SessionOptionValue{"schema": str("hr")}})
	require.NoError(t, err)
	require.Equal(t, flight.SetSessionOptionsResultErrorInvalidValue, res.Errors["schema"].Value, "bob cannot see hr")

	closed, err := cl.CloseSession(ctx, &flight.CloseSessionRequest{})
	require.NoError(t, err)
	require.Equal(t, flight.CloseSessionResultClosed, closed.Status)
	_, err = cl.Execute(ctx, "SELECT * FROM orders")
	requireCode(t, err, codes.NotFound, "set a default schema")

	t.Run("header fallback for clients without cookies", func(t *testing.T) {
		info, err := cl.Execute(metadata.AppendToOutgoingContext(ctx, schemaHeader, "sales"), "SELECT * FROM orders")
		require.NoError(t, err)
		_, rows := fetch(t, ctx, cl, info)
		require.Equal(t, ordersJSON, rows)
	})

	t.Run("another user's cookie is ignored", func(t *testing.T) {
		aliceCl, aliceCtx := env.sqlClient("alice")
		payload := `{"u":"bob","s":"sales"}`
		cookie := sessionCookieName + "=" + env.ids.Seal([]byte(payload))
		_, err := aliceCl.Execute(metadata.AppendToOutgoingContext(aliceCtx, "cookie", cookie), "SELECT * FROM orders")
		requireCode(t, err, codes.NotFound, "set a default schema")
	})
}

func TestShutdownCancelsQueriesAndLeavesNoGoroutine(t *testing.T) {
	baseline := runtime.NumGoroutine()
	func() {
		env := startServer(t, nil)
		cl, err := flightsql.NewClient(env.srv.Addr(), nil, nil, grpc.WithTransportCredentials(insecure.NewCredentials()))
		require.NoError(t, err)
		ctx, err := cl.Client.AuthenticateBasicToken(context.Background(), "alice", "secret")
		require.NoError(t, err)
		info, err := cl.Execute(ctx, sqlBlocking)
		require.NoError(t, err)
		done := make(chan error, 1)
		go func() { done <- fetchErr(ctx, cl, info.Endpoint[0].Ticket) }()
		<-env.engine.started

		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, env.srv.Shutdown(sctx))
		requireCode(t, <-done, codes.Unavailable, "shutting down")
		require.NoError(t, <-env.served)
		env.served <- nil // the cleanup waits for Serve too
		require.NoError(t, cl.Close())

		_, err = net.Dial("tcp", env.srv.Addr())
		require.Error(t, err, "the listener is closed")
	}()
	// A plain polling loop: assert.Eventually would count its own goroutine.
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(10 * time.Second)
	for runtime.NumGoroutine() > baseline {
		select {
		case <-tick.C:
		case <-deadline:
			buf := make([]byte, 1<<20)
			t.Fatalf("goroutines: baseline %d, now %d:\n%s", baseline, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
	}
}

func TestServeStopsWhenItsContextEnds(t *testing.T) {
	ids := newTestIdentities(t)
	engine := newFakeEngine(t, memory.DefaultAllocator)
	srv, err := NewServer(Options{Addr: "127.0.0.1:0", ShutdownTimeout: 5 * time.Second}, engine, engine, ids)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx) }()
	cl := rawClient(t, srv.Addr())
	_, err = cl.AuthenticateBasicToken(context.Background(), "alice", "secret")
	require.NoError(t, err)
	cancel()
	require.NoError(t, <-served)
	_, err = cl.AuthenticateBasicToken(context.Background(), "alice", "secret")
	require.Error(t, err)
	require.NoError(t, srv.Shutdown(context.Background()), "a second shutdown is harmless")
}
