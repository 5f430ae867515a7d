package files

import (
	"encoding/binary"
	"math"
	"math/big"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/apache/arrow-go/v18/parquet/schema"

	"github.com/meshgate/meshgate/internal/errs"
)

// fileField is one top-level column of a file.
type fileField struct {
	name string
	// raw is the type the format reader produces; canonical the type meshgate serves it
	// as (nil when unsupported, with reason).
	raw       arrow.DataType
	canonical arrow.DataType
	reason    string
	nullable  bool
	index     int // position among the file's top-level columns
	leaf      int // Parquet leaf column index; -1 for nested columns
}

// parquetFooter is the parsed metadata of one Parquet file, shared (read-only) by every
// plan and scan of that file version.
type parquetFooter struct {
	md     *metadata.FileMetaData
	fields []fileField
}

// readParquetFooter parses the footer of ref. The Arrow types come from the Parquet schema
// alone: the ARROW:schema hint some writers add is ignored, so a column is never served as
// large_utf8, string_view or a dictionary because of how it was written.
func readParquetFooter(ref fileRef) (*parquetFooter, error) {
	f, err := os.Open(ref.abs)
	if err != nil {
		return nil, errs.Wrap(errs.KindUnavailable, err, "file %s cannot be opened", ref.rel)
	}
	defer f.Close()
	rdr, err := file.NewParquetReader(f, file.WithReadProps(parquet.NewReaderProperties(memory.DefaultAllocator)))
	if err != nil {
		return nil, errs.Wrap(errs.KindInvalidArgument, err, "file %s is not a readable Parquet file", ref.rel)
	}
	md := rdr.MetaData()
	if md.FileDecryptor != nil {
		return nil, errs.NotSupportedf("file %s is encrypted; encrypted Parquet files cannot be read", ref.rel)
	}
	manifest, err := pqarrow.NewSchemaManifest(md.Schema, nil, &pqarrow.ArrowReadProperties{})
	if err != nil {
		return nil, errs.Wrap(errs.KindInvalidArgument, err, "file %s has a Parquet schema that cannot be mapped to Arrow", ref.rel)
	}
	fields := make([]fileField, len(manifest.Fields))
	for i, mf := range manifest.Fields {
		ff := fileField{name: mf.Field.Name, raw: mf.Field.Type, nullable: mf.Field.Nullable, index: i, leaf: mf.ColIndex}
		switch {
		case !mf.IsLeaf():
			ff.reason = "nested type " + mf.Field.Type.String() + " is not supported yet"
		case md.Schema.Column(mf.ColIndex).PhysicalType() == parquet.Types.Int96 && mf.Field.Type.ID() != arrow.TIMESTAMP:
			ff.reason = "INT96 column is not supported yet"
		default:
			ff.canonical, ff.reason = canonicalType(mf.Field.Type)
		}
		fields[i] = ff
	}
	return &parquetFooter{md: md, fields: fields}, nil
}

// rowGroupRows is the number of rows of row group rg.
func (p *parquetFooter) rowGroupRows(rg int) int64 { return p.md.RowGroups[rg].NumRows }

// chunkFacts reads what the footer says about one column chunk. The raw thrift statistics
// are consulted for the null count because arrow-go's typed statistics report one even
// when the writer wrote none. Float columns are always assumed to possibly hold NaN (which
// min/max leave out): arrow-go does not read the newer nan_count field.
func (p *parquetFooter) chunkFacts(rg int, ff *fileField) *chunkFacts {
	facts := &chunkFacts{rows: p.rowGroupRows(rg), nullCount: -1}
	descr := p.md.Schema.Column(ff.leaf)
	if descr.MaxDefinitionLevel() == 0 {
		facts.nullCount = 0
	}
	phys := descr.PhysicalType()
	facts.mayHaveNaN = phys == parquet.Types.Float || phys == parquet.Types.Double

	chunk := p.md.RowGroups[rg].Columns[ff.leaf]
	meta := chunk.GetMetaData()
	if meta == nil || meta.Statistics == nil {
		return facts
	}
	raw := meta.Statistics
	if raw.IsSetNullCount() && raw.GetNullCount() >= 0 {
		facts.nullCount = raw.GetNullCount()
	}

	// StatsSet applies arrow-go's checks of writers known to compute wrong min/max.
	ccmd, err := p.md.RowGroup(rg).ColumnChunk(ff.leaf)
	if err != nil {
		return facts
	}
	if ok, err := ccmd.StatsSet(); err != nil || !ok {
		return facts
	}
	var minRaw, maxRaw []byte
	exact := true
	if descr.ColumnOrder() == parquet.ColumnOrders.TypeDefinedOrder && raw.IsSetMinValue() && raw.IsSetMaxValue() {
		minRaw, maxRaw = raw.MinValue, raw.MaxValue
		exact = raw.IsSetIsMinValueExact() && raw.GetIsMinValueExact() &&
			raw.IsSetIsMaxValueExact() && raw.GetIsMaxValueExact()
	} else if descr.SortOrder() == schema.SortSIGNED && raw.IsSetMin() && raw.IsSetMax() {
		// The deprecated min/max fields were computed with signed comparisons: only
		// trustworthy where that is the column's order.
		minRaw, maxRaw = raw.Min, raw.Max
		exact = false
	} else {
		return facts
	}
	decode := statDecoder(descr, ff.raw)
	if decode == nil {
		return facts
	}
	lo, ok1 := decode(minRaw)
	hi, ok2 := decode(maxRaw)
	if !ok1 || !ok2 {
		return facts
	}
	facts.hasMinMax, facts.min, facts.max = true, lo, hi
	// Only byte strings are truncated by writers; numbers are exact.
	facts.exactBounds = lo.kind != kindBytes || exact
	return facts
}

// statDecoder returns how to turn one PLAIN-encoded value (as in statistics and dictionary
// pages, without a length prefix) into a value of the column's canonical type, or nil when
// values of that column cannot be interpreted.
func statDecoder(descr *schema.Column, raw arrow.DataType) func([]byte) (value, bool) {
	scale := int32(0)
	if d, ok := raw.(*arrow.Decimal128Type); ok {
		scale = d.Scale
	}
	switch descr.PhysicalType() {
	case parquet.Types.Boolean:
		return func(b []byte) (value, bool) {
			if len(b) < 1 {
				return value{}, false
			}
			return value{kind: kindBool, t: b[0] != 0}, true
		}
	case parquet.Types.Int32:
		unsigned := isUnsigned(raw)
		return func(b []byte) (value, bool) {
			if len(b) != 4 {
				return value{}, false
			}
			u := binary.LittleEndian.Uint32(b)
			if unsigned {
				return numValue(int64(u), scale), true
			}
			return numValue(int64(int32(u)), scale), true
		}
	case parquet.Types.Int64:
		unsigned := isUnsigned(raw)
		ts, isTS := raw.(*arrow.TimestampType)
		return func(b []byte) (value, bool) {
			if len(b) != 8 {
				return value{}, false
			}
			u := binary.LittleEndian.Uint64(b)
			switch {
			case unsigned:
				return bigNumValue(new(big.Int).SetUint64(u), 0), true
			case isTS:
				// Scans return microseconds, rounded down: bound the same numbers.
				c, ok := convertTimestamp(int64(u), ts.Unit, arrow.Microsecond)
				return numValue(c, 0), ok
			}
			return numValue(int64(u), scale), true
		}
	case parquet.Types.Float:
		return func(b []byte) (value, bool) {
			if len(b) != 4 {
				return value{}, false
			}
			return value{kind: kindFloat, f: float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))}, true
		}
	case parquet.Types.Double:
		return func(b []byte) (value, bool) {
			if len(b) != 8 {
				return value{}, false
			}
			return value{kind: kindFloat, f: math.Float64frombits(binary.LittleEndian.Uint64(b))}, true
		}
	case parquet.Types.ByteArray, parquet.Types.FixedLenByteArray:
		switch raw.ID() {
		case arrow.DECIMAL128:
			return func(b []byte) (value, bool) { return bigEndianValue(b, scale) }
		case arrow.STRING, arrow.BINARY, arrow.FIXED_SIZE_BINARY:
			return func(b []byte) (value, bool) {
				return value{kind: kindBytes, b: append([]byte(nil), b...)}, true
			}
		}
	}
	return nil
}

func isUnsigned(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return true
	}
	return false
}

// dictionaryEligible reports whether every data page of a chunk is dictionary-encoded (so
// its dictionary holds every non-NULL value) and the dictionary page is small enough.
func (p *parquetFooter) dictionaryEligible(rg int, ff *fileField, maxBytes int64) bool {
	ccmd, err := p.md.RowGroup(rg).ColumnChunk(ff.leaf)
	if err != nil || !ccmd.HasDictionaryPage() {
		return false
	}
	if size := ccmd.DataPageOffset() - ccmd.DictionaryPageOffset(); size <= 0 || size > maxBytes {
		return false
	}
	stats := ccmd.EncodingStats()
	if len(stats) == 0 {
		// Without page encoding statistics a fallback to PLAIN pages cannot be ruled out.
		return false
	}
	dataPages := 0
	for _, st := range stats {
		if st.PageType != file.PageTypeDataPage && st.PageType != file.PageTypeDataPageV2 {
			continue
		}
		dataPages++
		if st.Encoding != parquet.Encodings.PlainDict && st.Encoding != parquet.Encodings.RLEDict {
			return false
		}
	}
	return dataPages > 0
}

// readDictionary reads and decodes the dictionary page of one column chunk with rdr.
func (p *parquetFooter) readDictionary(rdr *file.Reader, rg int, ff *fileField) ([]value, bool) {
	descr := p.md.Schema.Column(ff.leaf)
	decode := statDecoder(descr, ff.raw)
	if decode == nil {
		return nil, false
	}
	pr, err := rdr.RowGroup(rg).GetColumnPageReader(ff.leaf)
	if err != nil {
		return nil, false
	}
	defer pr.Close()
	page, err := pr.GetDictionaryPage()
	if err != nil || page == nil {
		return nil, false
	}
	defer page.Release()
	if enc := parquet.Encoding(page.Encoding()); enc != parquet.Encodings.Plain && enc != parquet.Encodings.PlainDict {
		return nil, false
	}
	data := page.Data()
	n := int(page.NumValues())
	out := make([]value, 0, n)
	width := 0
	switch descr.PhysicalType() {
	case parquet.Types.Int32, parquet.Types.Float:
		width = 4
	case parquet.Types.Int64, parquet.Types.Double:
		width = 8
	case parquet.Types.FixedLenByteArray:
		width = descr.TypeLength()
	case parquet.Types.ByteArray:
	default:
		return nil, false
	}
	for i := 0; i < n; i++ {
		var raw []byte
		if width > 0 {
			if len(data) < width {
				return nil, false
			}
			raw, data = data[:width], data[width:]
		} else {
			if len(data) < 4 {
				return nil, false
			}
			l := int(binary.LittleEndian.Uint32(data))
			if l < 0 || len(data)-4 < l {
				return nil, false
			}
			raw, data = data[4:4+l], data[4+l:]
		}
		v, ok := decode(raw)
		if !ok {
			return nil, false
		}
		out = append(out, v)
	}
	return out, true
}
