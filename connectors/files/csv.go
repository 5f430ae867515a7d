package files

import (
	"compress/gzip"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

// openCSV opens a CSV file (gunzipping *.gz) as an encoding/csv reader with the object's
// delimiter. close releases everything opened.
func openCSV(ref fileRef, opts csvOptions) (r *csv.Reader, close func(), err error) {
	f, err := os.Open(ref.abs)
	if err != nil {
		return nil, nil, errs.Wrap(errs.KindUnavailable, err, "file %s cannot be opened", ref.rel)
	}
	var in io.Reader = f
	closeAll := func() { f.Close() }
	if strings.HasSuffix(strings.ToLower(ref.rel), ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			f.Close()
			return nil, nil, errs.Wrap(errs.KindInvalidArgument, err, "file %s is not a valid gzip file", ref.rel)
		}
		in = gz
		closeAll = func() { gz.Close(); f.Close() }
	}
	r = csv.NewReader(in)
	r.Comma = opts.delimiter
	r.ReuseRecord = true
	return r, closeAll, nil
}

// csvColumnName names the columns of a file without a header row: column1, column2, ...
func csvColumnName(i int) string { return "column" + strconv.Itoa(i+1) }

// csvReadError turns an encoding/csv error into a message naming the file and line. Its
// own messages carry positions, never field contents.
func csvReadError(err error, rel string) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return errs.New(errs.KindInvalidArgument, "file %s line %d: %v; check the file's delimiter and quoting", rel, pe.Line, pe.Err)
	}
	return errs.Wrap(errs.KindUnavailable, err, "file %s cannot be read", rel)
}

// inferCSV reads the header and up to sampleRows rows of the first non-empty file and
// infers each column's type: bigint, double precision, boolean, date, timestamp (with
// time zone when every value carries an offset), else varchar. Every column is nullable.
func (ds *dataset) inferCSV(sampleRows int) error {
	ds.schemaFile = -1
	for i, f := range ds.files {
		if f.size > 0 {
			ds.schemaFile = i
			break
		}
	}
	if ds.schemaFile < 0 {
		return errs.New(errs.KindInvalidArgument, "every file of %s is empty, so there are no columns to describe; add data or a header row", ds.pattern)
	}
	ref := ds.files[ds.schemaFile]
	r, closeFile, err := openCSV(ref, ds.csv)
	if err != nil {
		return err
	}
	defer closeFile()

	first, err := r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return errs.New(errs.KindInvalidArgument, "file %s has no rows, so there are no columns to describe; add a header row", ref.rel)
		}
		return csvReadError(err, ref.rel)
	}
	names := make([]string, len(first))
	var pending []string
	if ds.csv.header {
		seen := map[string]int{}
		for i, n := range first {
			n = strings.TrimSpace(n)
			if i == 0 {
				n = strings.TrimPrefix(n, "\uFEFF")
			}
			if n == "" {
				n = csvColumnName(i)
			}
			// Duplicate names would make binding ambiguous: number the repeats.
			if c := seen[strings.ToLower(n)]; c > 0 {
				seen[strings.ToLower(n)] = c + 1
				n = n + "_" + strconv.Itoa(c+1)
			}
			seen[strings.ToLower(n)]++
			names[i] = n
		}
	} else {
		for i := range first {
			names[i] = csvColumnName(i)
		}
		pending = append([]string(nil), first...)
	}
	dataStart := r.InputOffset()
	if pending != nil {
		dataStart = 0
	}

	infer := make([]csvInference, len(names))
	rows := 0
	observe := func(rec []string) {
		for i, v := range rec {
			if v != ds.csv.null {
				infer[i].observe(v)
			}
		}
		rows++
	}
	if pending != nil {
		observe(pending)
	}
	for rows < sampleRows {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return csvReadError(err, ref.rel)
		}
		observe(rec)
	}
	if rows > 0 {
		ds.csvBytesPerRow = float64(r.InputOffset()-dataStart) / float64(rows)
	}
	ds.fields = make([]fileField, len(names))
	for i, n := range names {
		t := infer[i].result()
		ds.fields[i] = fileField{name: n, raw: t, canonical: t, nullable: true, index: i, leaf: -1}
	}
	return nil
}

// csvInference tracks which types every non-NULL value of a column seen so far parses as.
type csvInference struct {
	seen                               bool
	notInt, notFloat, notBool, notDate bool
	notTimestamp, notTimestampTZ       bool
}

func (c *csvInference) observe(v string) {
	c.seen = true
	if !c.notInt {
		_, ok := parseCSVInt(v, 64)
		c.notInt = !ok
	}
	if !c.notFloat {
		_, ok := parseCSVFloat(v, 64)
		c.notFloat = !ok
	}
	if !c.notBool {
		switch strings.ToLower(v) {
		case "true", "false", "t", "f":
		default:
			c.notBool = true
		}
	}
	if !c.notDate {
		_, ok := parseCSVDate(v)
		c.notDate = !ok
	}
	if !c.notTimestamp || !c.notTimestampTZ {
		_, zoned, ok := parseCSVTimestamp(v)
		if !ok || zoned {
			c.notTimestamp = true
		}
		if !ok || !zoned {
			c.notTimestampTZ = true
		}
	}
}

func (c *csvInference) result() arrow.DataType {
	switch {
	case !c.seen:
		return expr.String
	case !c.notInt:
		return expr.Int64
	case !c.notFloat:
		return expr.Float64
	case !c.notBool:
		return expr.Bool
	case !c.notDate:
		return expr.Date
	case !c.notTimestamp:
		return expr.Timestamp
	case !c.notTimestampTZ:
		return expr.TimestampTZ
	}
	return expr.String
}

func parseCSVInt(v string, bits int) (int64, bool) {
	i, err := strconv.ParseInt(strings.TrimSpace(v), 10, bits)
	return i, err == nil
}

func parseCSVFloat(v string, bits int) (float64, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), bits)
	return f, err == nil
}

func parseCSVBool(v string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "t", "yes", "y", "on", "1":
		return true, true
	case "false", "f", "no", "n", "off", "0":
		return false, true
	}
	return false, false
}

func parseCSVDate(v string) (arrow.Date32, bool) {
	v = strings.TrimSpace(v)
	if len(v) != 10 {
		return 0, false
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return 0, false
	}
	return arrow.Date32FromTime(t), true
}

var (
	csvTimestampLayouts = []string{"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999"}
	csvZonedLayouts     = []string{
		"2006-01-02 15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999Z07:00",
		"2006-01-02 15:04:05.999999999Z0700", "2006-01-02T15:04:05.999999999Z0700",
		"2006-01-02 15:04:05.999999999Z07", "2006-01-02T15:04:05.999999999Z07",
	}
)

// parseCSVTimestamp parses ISO-8601 / PostgreSQL timestamps, with an optional fraction
// and an optional zone offset (zoned). Without an offset the time is read as UTC.
func parseCSVTimestamp(v string) (t time.Time, zoned, ok bool) {
	v = strings.TrimSpace(v)
	if len(v) < 19 || v[4] != '-' || v[7] != '-' {
		return time.Time{}, false, false
	}
	rest := v[19:]
	zoned = strings.ContainsAny(rest, "Z+-")
	layouts := csvTimestampLayouts
	if zoned {
		layouts = csvZonedLayouts
	}
	for _, l := range layouts {
		if t, err := time.Parse(l, v); err == nil {
			return t, zoned, true
		}
	}
	return time.Time{}, false, false
}

// csvParsable lists the types CSV values can be read as.
func csvParsable(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.BOOL, arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.FLOAT32, arrow.FLOAT64,
		arrow.DECIMAL128, arrow.STRING, arrow.LARGE_STRING, arrow.BINARY, arrow.DATE32, arrow.TIMESTAMP:
		return true
	}
	return false
}

// csvAppender appends one field to a builder; false means the text is not a valid value.
type csvAppender func(s string) bool

func newCSVAppender(b array.Builder, null string) csvAppender {
	withNull := func(f func(string) bool) csvAppender {
		return func(s string) bool {
			if s == null {
				b.AppendNull()
				return true
			}
			return f(s)
		}
	}
	switch bb := b.(type) {
	case *array.StringBuilder:
		return withNull(func(s string) bool { bb.Append(s); return true })
	case *array.LargeStringBuilder:
		return withNull(func(s string) bool { bb.Append(s); return true })
	case *array.BinaryBuilder:
		return withNull(func(s string) bool { bb.AppendString(s); return true })
	case *array.Int8Builder:
		return withNull(func(s string) bool { v, ok := parseCSVInt(s, 8); bb.Append(int8(v)); return ok })
	case *array.Int16Builder:
		return withNull(func(s string) bool { v, ok := parseCSVInt(s, 16); bb.Append(int16(v)); return ok })
	case *array.Int32Builder:
		return withNull(func(s string) bool { v, ok := parseCSVInt(s, 32); bb.Append(int32(v)); return ok })
	case *array.Int64Builder:
		return withNull(func(s string) bool { v, ok := parseCSVInt(s, 64); bb.Append(v); return ok })
	case *array.Float32Builder:
		return withNull(func(s string) bool { v, ok := parseCSVFloat(s, 32); bb.Append(float32(v)); return ok })
	case *array.Float64Builder:
		return withNull(func(s string) bool { v, ok := parseCSVFloat(s, 64); bb.Append(v); return ok })
	case *array.BooleanBuilder:
		return withNull(func(s string) bool { v, ok := parseCSVBool(s); bb.Append(v); return ok })
	case *array.Date32Builder:
		return withNull(func(s string) bool { v, ok := parseCSVDate(s); bb.Append(v); return ok })
	case *array.TimestampBuilder:
		tt := bb.Type().(*arrow.TimestampType)
		return withNull(func(s string) bool {
			t, zoned, ok := parseCSVTimestamp(s)
			if !ok {
				bb.AppendNull()
				return false
			}
			if zoned && tt.TimeZone == "" {
				// As PostgreSQL does for timestamp without time zone: keep the wall
				// clock, drop the offset.
				t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
			}
			var ticks int64
			switch tt.Unit {
			case arrow.Second:
				ticks = t.Unix()
			case arrow.Millisecond:
				ticks = t.UnixMilli()
			case arrow.Microsecond:
				ticks = t.UnixMicro()
			default:
				ticks = t.UnixNano()
			}
			bb.Append(arrow.Timestamp(ticks))
			return true
		})
	case *array.Decimal128Builder:
		dt := bb.Type().(*arrow.Decimal128Type)
		return withNull(func(s string) bool {
			v, err := decimal128.FromString(strings.TrimSpace(s), dt.Precision, dt.Scale)
			if err != nil || !v.FitsInPrecision(dt.Precision) {
				bb.AppendNull()
				return false
			}
			bb.Append(v)
			return true
		})
	}
	return nil
}

// csvBatches parses one CSV file into batches of the projected columns.
type csvBatches struct {
	ds        *dataset
	ref       fileRef
	cols      []connectors.Column
	schema    *arrow.Schema
	alloc     memory.Allocator
	batchRows int

	r         *csv.Reader
	closeFile func()
	pending   []string // the first record of a header-less file, read to count fields
	fieldIdx  []int    // per output column, its field index in a record
	builders  []array.Builder
	appenders []csvAppender
	empty     bool
}

func (c *csvBatches) open(context.Context) error {
	if err := checkUnchanged(c.ref); err != nil {
		return err
	}
	r, closeFile, err := openCSV(c.ref, c.ds.csv)
	if err != nil {
		return err
	}
	c.r, c.closeFile = r, closeFile
	first, err := r.Read()
	if errors.Is(err, io.EOF) {
		c.empty = true
		return nil
	}
	if err != nil {
		return csvReadError(err, c.ref.rel)
	}
	fields := make([]fileField, len(first))
	for i, n := range first {
		if !c.ds.csv.header {
			n = csvColumnName(i)
		} else if i == 0 {
			n = strings.TrimPrefix(strings.TrimSpace(n), "\uFEFF")
		}
		fields[i] = fileField{name: strings.TrimSpace(n), index: i}
	}
	if c.ds.csv.header && c.ref.abs == c.ds.files[c.ds.schemaFile].abs {
		// The schema file's names were made unique by inference: use them.
		fields = append([]fileField(nil), c.ds.fields...)
	}
	if !c.ds.csv.header {
		c.pending = append([]string(nil), first...)
	}
	c.fieldIdx = make([]int, len(c.cols))
	c.builders = make([]array.Builder, len(c.cols))
	c.appenders = make([]csvAppender, len(c.cols))
	for i, col := range c.cols {
		ff, err := findField(fields, col.Name, c.ref.rel)
		if err != nil {
			return err
		}
		c.fieldIdx[i] = ff.index
		c.builders[i] = array.NewBuilder(c.alloc, col.Type)
		c.appenders[i] = newCSVAppender(c.builders[i], c.ds.csv.null)
		if c.appenders[i] == nil {
			return errs.NotSupportedf("column %s of file %s: CSV values cannot be read as %s", col.Name, c.ref.rel, expr.SQLTypeName(col.Type))
		}
	}
	return nil
}

func (c *csvBatches) next() (arrow.RecordBatch, error) {
	if c.empty {
		return nil, nil
	}
	for _, b := range c.builders {
		b.Reserve(c.batchRows)
	}
	rows := 0
	for rows < c.batchRows {
		rec := c.pending
		c.pending = nil
		if rec == nil {
			var err error
			rec, err = c.r.Read()
			if errors.Is(err, io.EOF) {
				c.empty = true
				break
			}
			if err != nil {
				return nil, csvReadError(err, c.ref.rel)
			}
		}
		for i, idx := range c.fieldIdx {
			if !c.appenders[i](rec[idx]) {
				line, _ := c.r.FieldPos(idx)
				if line == 0 {
					line = 1
				}
				col := c.cols[i]
				return nil, errs.New(errs.KindInvalidArgument,
					"file %s line %d: the value of column %s is not a valid %s; fix the file or declare the column as varchar in the contract",
					c.ref.rel, line, col.Name, expr.SQLTypeName(col.Type))
			}
		}
		rows++
	}
	if rows == 0 {
		return nil, nil
	}
	cols := make([]arrow.Array, len(c.builders))
	for i, b := range c.builders {
		cols[i] = b.NewArray()
	}
	rec := array.NewRecordBatch(c.schema, cols, int64(rows))
	for _, a := range cols {
		a.Release()
	}
	return rec, nil
}

func (c *csvBatches) close() {
	for _, b := range c.builders {
		if b != nil {
			b.Release()
		}
	}
	c.builders = nil
	if c.closeFile != nil {
		c.closeFile()
		c.closeFile = nil
	}
}
