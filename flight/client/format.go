package client

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Format is an output format of the shell.
type Format string

// Output formats.
const (
	// FormatTable prints aligned columns like psql: NULL as "NULL", numbers right-aligned,
	// values never truncated (control characters shown as \n, \r, \t), and a "(N rows)"
	// footer.
	FormatTable Format = "table"
	// FormatCSV prints RFC 4180 CSV (CRLF line ends) with a header row; NULL is an empty
	// field.
	FormatCSV Format = "csv"
	// FormatJSON prints JSON Lines: one object per row, keys in column order. Decimals are
	// strings (exact, unlike JSON numbers in most readers), binary is base64, dates are
	// YYYY-MM-DD, timestamps ISO 8601 (with Z when they carry a time zone), NaN and
	// infinities are the strings "NaN", "Infinity", "-Infinity".
	FormatJSON Format = "json"
)

// ParseFormat checks a format name.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case FormatTable, FormatCSV, FormatJSON:
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q: use table, csv or json", s)
}

// resultWriter renders one result set.
type resultWriter interface {
	begin(schema *arrow.Schema) error
	batch(rec arrow.RecordBatch) error
	end(rows int64) error
}

func newResultWriter(f Format, w io.Writer) resultWriter {
	switch f {
	case FormatCSV:
		// Quoting follows RFC 4180; lines end in LF like psql's CSV so shell tools read them.
		return &csvWriter{w: csv.NewWriter(w)}
	case FormatJSON:
		return &jsonWriter{w: w}
	}
	return &tableWriter{w: w}
}

type tableWriter struct {
	w     io.Writer
	names []string
	right []bool
	rows  [][]string
}

func (t *tableWriter) begin(schema *arrow.Schema) error {
	for _, f := range schema.Fields() {
		t.names = append(t.names, f.Name)
		t.right = append(t.right, isNumeric(f.Type))
	}
	return nil
}

var controlEscapes = strings.NewReplacer("\n", `\n`, "\r", `\r`, "\t", `\t`)

func (t *tableWriter) batch(rec arrow.RecordBatch) error {
	for i := 0; i < int(rec.NumRows()); i++ {
		row := make([]string, rec.NumCols())
		for c, col := range rec.Columns() {
			if v, null := textValue(col, i); null {
				row[c] = "NULL"
			} else {
				row[c] = controlEscapes.Replace(v)
			}
		}
		t.rows = append(t.rows, row)
	}
	return nil
}

func (t *tableWriter) end(rows int64) error {
	widths := make([]int, len(t.names))
	for c, n := range t.names {
		widths[c] = utf8.RuneCountInString(n)
	}
	for _, row := range t.rows {
		for c, v := range row {
			widths[c] = max(widths[c], utf8.RuneCountInString(v))
		}
	}
	var b strings.Builder
	line := func(cells []string, align func(c int, v string) string) {
		var l strings.Builder
		for c, v := range cells {
			if c > 0 {
				l.WriteString("|")
			}
			l.WriteString(" " + align(c, v) + " ")
		}
		b.WriteString(strings.TrimRight(l.String(), " ") + "\n")
	}
	if len(t.names) > 0 {
		line(t.names, func(c int, v string) string { return center(v, widths[c]) })
		seps := make([]string, len(widths))
		for c, w := range widths {
			seps[c] = strings.Repeat("-", w+2)
		}
		b.WriteString(strings.Join(seps, "+") + "\n")
		for _, row := range t.rows {
			line(row, func(c int, v string) string {
				pad := strings.Repeat(" ", widths[c]-utf8.RuneCountInString(v))
				if t.right[c] {
					return pad + v
				}
				return v + pad
			})
		}
	}
	if rows == 1 {
		b.WriteString("(1 row)\n")
	} else {
		fmt.Fprintf(&b, "(%d rows)\n", rows)
	}
	_, err := io.WriteString(t.w, b.String())
	return err
}

func center(s string, width int) string {
	pad := width - utf8.RuneCountInString(s)
	left := pad / 2
	return strings.Repeat(" ", left) + s + strings.Repeat(" ", pad-left)
}

type csvWriter struct {
	w *csv.Writer
}

func (c *csvWriter) begin(schema *arrow.Schema) error {
	names := make([]string, schema.NumFields())
	for i, f := range schema.Fields() {
		names[i] = f.Name
	}
	return c.w.Write(names)
}

func (c *csvWriter) batch(rec arrow.RecordBatch) error {
	row := make([]string, rec.NumCols())
	for i := 0; i < int(rec.NumRows()); i++ {
		for j, col := range rec.Columns() {
			row[j], _ = textValue(col, i)
		}
		if err := c.w.Write(row); err != nil {
			return err
		}
	}
	c.w.Flush()
	return c.w.Error()
}

func (c *csvWriter) end(int64) error {
	c.w.Flush()
	return c.w.Error()
}

type jsonWriter struct {
	w      io.Writer
	schema *arrow.Schema
	buf    bytes.Buffer
}

func (j *jsonWriter) begin(schema *arrow.Schema) error {
	j.schema = schema
	return nil
}

func (j *jsonWriter) batch(rec arrow.RecordBatch) error {
	for i := 0; i < int(rec.NumRows()); i++ {
		j.buf.Reset()
		j.buf.WriteByte('{')
		for c, col := range rec.Columns() {
			if c > 0 {
				j.buf.WriteByte(',')
			}
			writeJSONString(&j.buf, j.schema.Field(c).Name)
			j.buf.WriteByte(':')
			writeJSONValue(&j.buf, col, i)
		}
		j.buf.WriteString("}\n")
		if _, err := j.w.Write(j.buf.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

func (j *jsonWriter) end(int64) error { return nil }

func isNumeric(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64, arrow.DECIMAL128, arrow.DECIMAL256:
		return true
	case arrow.DICTIONARY:
		return isNumeric(t.(*arrow.DictionaryType).ValueType)
	}
	return false
}

// textValue renders a value for the table and CSV formats, PostgreSQL style.
func textValue(arr arrow.Array, i int) (text string, null bool) {
	if arr.IsNull(i) {
		return "", true
	}
	switch a := arr.(type) {
	case *array.Int8:
		return strconv.FormatInt(int64(a.Value(i)), 10), false
	case *array.Int16:
		return strconv.FormatInt(int64(a.Value(i)), 10), false
	case *array.Int32:
		return strconv.FormatInt(int64(a.Value(i)), 10), false
	case *array.Int64:
		return strconv.FormatInt(a.Value(i), 10), false
	case *array.Uint8:
		return strconv.FormatUint(uint64(a.Value(i)), 10), false
	case *array.Uint16:
		return strconv.FormatUint(uint64(a.Value(i)), 10), false
	case *array.Uint32:
		return strconv.FormatUint(uint64(a.Value(i)), 10), false
	case *array.Uint64:
		return strconv.FormatUint(a.Value(i), 10), false
	case *array.Float16:
		return formatFloat(float64(a.Value(i).Float32()), 32), false
	case *array.Float32:
		return formatFloat(float64(a.Value(i)), 32), false
	case *array.Float64:
		return formatFloat(a.Value(i), 64), false
	case *array.Decimal128:
		return a.Value(i).ToString(a.DataType().(*arrow.Decimal128Type).Scale), false
	case *array.Decimal256:
		return a.Value(i).ToString(a.DataType().(*arrow.Decimal256Type).Scale), false
	case *array.Boolean:
		return strconv.FormatBool(a.Value(i)), false
	case *array.String:
		return a.Value(i), false
	case *array.LargeString:
		return a.Value(i), false
	case *array.StringView:
		return a.Value(i), false
	case *array.Binary:
		return `\x` + hex.EncodeToString(a.Value(i)), false
	case *array.LargeBinary:
		return `\x` + hex.EncodeToString(a.Value(i)), false
	case *array.BinaryView:
		return `\x` + hex.EncodeToString(a.Value(i)), false
	case *array.FixedSizeBinary:
		return `\x` + hex.EncodeToString(a.Value(i)), false
	case *array.Date32:
		return a.Value(i).FormattedString(), false
	case *array.Date64:
		return a.Value(i).FormattedString(), false
	case *array.Timestamp:
		t := a.DataType().(*arrow.TimestampType)
		return formatTimestamp(a.Value(i).ToTime(t.Unit), t, " "), false
	case *array.Dictionary:
		return textValue(a.Dictionary(), a.GetValueIndex(i))
	case *array.List, *array.LargeList, *array.FixedSizeList, *array.Struct, *array.Map:
		var b bytes.Buffer
		writeJSONValue(&b, arr, i)
		return b.String(), false
	}
	return arr.ValueStr(i), false
}

func formatFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return strconv.FormatFloat(f, 'g', -1, bits)
}

// formatTimestamp renders an instant in its column's time zone (UTC when unknown); a
// timestamp without time zone has no offset.
func formatTimestamp(tm time.Time, t *arrow.TimestampType, sep string) string {
	layout := "2006-01-02" + sep + "15:04:05.999999999"
	if t.TimeZone == "" {
		return tm.UTC().Format(layout)
	}
	if loc, err := time.LoadLocation(t.TimeZone); err == nil {
		tm = tm.In(loc)
	}
	return tm.Format(layout + "Z07:00")
}

func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	b.Truncate(b.Len() - 1) // Encode appends a newline
}

// writeJSONValue renders a value for the JSON format (see FormatJSON).
func writeJSONValue(b *bytes.Buffer, arr arrow.Array, i int) {
	if arr.IsNull(i) {
		b.WriteString("null")
		return
	}
	switch a := arr.(type) {
	case *array.Float16, *array.Float32, *array.Float64:
		// JSON has no NaN or infinities; they travel as strings.
		if text, _ := textValue(arr, i); text == "NaN" || strings.HasSuffix(text, "Infinity") {
			writeJSONString(b, text)
		} else {
			b.WriteString(text)
		}
	case *array.Int8, *array.Int16, *array.Int32, *array.Int64, *array.Uint8, *array.Uint16, *array.Uint32, *array.Uint64, *array.Boolean:
		text, _ := textValue(arr, i)
		b.WriteString(text)
	case *array.Binary:
		writeJSONString(b, base64.StdEncoding.EncodeToString(a.Value(i)))
	case *array.LargeBinary:
		writeJSONString(b, base64.StdEncoding.EncodeToString(a.Value(i)))
	case *array.BinaryView:
		writeJSONString(b, base64.StdEncoding.EncodeToString(a.Value(i)))
	case *array.FixedSizeBinary:
		writeJSONString(b, base64.StdEncoding.EncodeToString(a.Value(i)))
	case *array.Timestamp:
		t := a.DataType().(*arrow.TimestampType)
		writeJSONString(b, formatTimestamp(a.Value(i).ToTime(t.Unit), t, "T"))
	case *array.Dictionary:
		writeJSONValue(b, a.Dictionary(), a.GetValueIndex(i))
	case *array.List:
		start, end := a.ValueOffsets(i)
		writeJSONList(b, a.ListValues(), int(start), int(end))
	case *array.LargeList:
		start, end := a.ValueOffsets(i)
		writeJSONList(b, a.ListValues(), int(start), int(end))
	case *array.Struct:
		st := a.DataType().(*arrow.StructType)
		b.WriteByte('{')
		for f := 0; f < a.NumField(); f++ {
			if f > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, st.Field(f).Name)
			b.WriteByte(':')
			writeJSONValue(b, a.Field(f), i)
		}
		b.WriteByte('}')
	default:
		text, _ := textValue(arr, i)
		writeJSONString(b, text)
	}
}

func writeJSONList(b *bytes.Buffer, values arrow.Array, start, end int) {
	b.WriteByte('[')
	for j := start; j < end; j++ {
		if j > start {
			b.WriteByte(',')
		}
		writeJSONValue(b, values, j)
	}
	b.WriteByte(']')
}
