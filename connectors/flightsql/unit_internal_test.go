package flightsql

import (
	"context"
	"net"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

func TestParseURI(t *testing.T) {
	for _, c := range []struct {
		uri  string
		addr string
		tls  bool
		ok   bool
	}{
		{"grpc+tcp://h:1", "h:1", false, true},
		{"grpc+tls://h:2", "h:2", true, true},
		{"grpc://h:3", "h:3", false, true},
		{"h:4", "h:4", false, true},
		{"http://h:5", "", false, false},
		{"grpc+tcp://user:pw@h:6", "", false, false},
	} {
		addr, tls, err := parseURI(c.uri)
		require.Equal(t, c.ok, err == nil, c.uri)
		if c.ok {
			require.Equal(t, c.addr, addr)
			require.Equal(t, c.tls, tls)
		}
	}
}

func TestTypeMapping(t *testing.T) {
	for _, c := range []struct {
		remote arrow.DataType
		want   arrow.DataType
		known  bool
	}{
		{arrow.PrimitiveTypes.Int64, expr.Int64, true},
		{arrow.PrimitiveTypes.Uint32, expr.Int64, true},
		{arrow.BinaryTypes.LargeString, expr.String, true},
		{&arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "Europe/Paris"}, expr.TimestampTZ, true},
		{&arrow.TimestampType{Unit: arrow.Millisecond}, expr.Timestamp, true},
		{arrow.FixedWidthTypes.Date64, expr.Date, true},
		{&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}, expr.String, true},
		{arrow.ListOf(arrow.PrimitiveTypes.Int32), expr.String, false},
		{arrow.PrimitiveTypes.Uint64, expr.String, false},
	} {
		got, known := gatewayType(c.remote)
		require.Equal(t, c.known, known, c.remote.String())
		require.True(t, arrow.TypeEqual(c.want, got), "%s → %s", c.remote, got)
	}
	conv, ok := conversionFor(arrow.PrimitiveTypes.Int32, expr.Int64)
	require.True(t, ok)
	require.Equal(t, convCast, conv)
	_, ok = conversionFor(arrow.PrimitiveTypes.Int64, expr.Int32)
	require.False(t, ok, "narrowing is refused")
	_, ok = conversionFor(expr.Decimal(15, 2), expr.Decimal(38, 2))
	require.True(t, ok)
	_, ok = conversionFor(expr.Decimal(15, 4), expr.Decimal(38, 2))
	require.False(t, ok, "fewer fractional digits would round")
	conv, ok = conversionFor(arrow.ListOf(arrow.PrimitiveTypes.Int32), expr.String)
	require.True(t, ok)
	require.Equal(t, convFormat, conv)
}

func TestOptions(t *testing.T) {
	open := func(opts map[string]string) error {
		_, err := NewFactory(Options{}).Open(context.Background(), connectors.SourceConfig{Domain: "d", Name: "s", Type: "flightsql", Options: opts,
			Secrets: func(v string) (string, error) {
				if v == "env:MISSING" {
					return "", errs.New(errs.KindFailedPrecondition, "secret reference env:MISSING: not set")
				}
				return v, nil
			}})
		return err
	}
	require.ErrorContains(t, open(map[string]string{}), "set option uri")
	require.ErrorContains(t, open(map[string]string{OptionURI: "h:1", OptionToken: "t", OptionUser: "u"}), "not both")
	require.ErrorContains(t, open(map[string]string{OptionURI: "h:1", OptionMaxStreams: "0"}), OptionMaxStreams)
	require.ErrorContains(t, open(map[string]string{OptionURI: "h:1", OptionTextPushdown: "maybe"}), OptionTextPushdown)
	err := open(map[string]string{OptionURI: "h:1", OptionUser: "u", OptionPassword: "env:MISSING"})
	require.ErrorContains(t, err, "option password cannot be resolved")
	err = open(map[string]string{OptionURI: "grpc+tcp://u:hunter2@h:1"})
	require.Error(t, err)
	require.NotContains(t, err.Error(), "hunter2")
	require.NoError(t, open(map[string]string{OptionURI: "grpc+tls://h:1", OptionUser: "u", OptionPassword: "p", OptionConnectTimeout: "3"}))
}

// A source with a static token (no login) still opens its breaker on a dead server.
func TestBreakerWithToken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close()) // nothing listens there now
	src, err := NewFactory(Options{}).Open(context.Background(), connectors.SourceConfig{Domain: "d", Name: "s", Type: "flightsql",
		Options: map[string]string{OptionURI: "grpc+tcp://" + addr, OptionToken: "tok-s3cret", OptionConnectTimeout: "1s"}})
	require.NoError(t, err)
	defer src.Close()
	var last error
	for range 4 {
		last = src.Ping(context.Background())
		require.Error(t, last)
		require.Equal(t, errs.KindUnavailable, errs.KindOf(last), "%v", last)
		require.NotContains(t, last.Error(), "tok-s3cret")
	}
	require.ErrorContains(t, last, "failing fast")
	require.ErrorContains(t, last, "d/s")
}
