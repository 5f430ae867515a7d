package files

import (
	"context"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

// parquetBatches reads the row groups of one split with pqarrow, only the leaf columns
// the handle projects, and converts each batch to the declared types.
type parquetBatches struct {
	ds        *dataset
	split     *fileSplit
	cols      []connectors.Column
	schema    *arrow.Schema
	alloc     memory.Allocator
	batchRows int

	rdr   *file.Reader
	rr    pqarrow.RecordReader
	pick  []int // per output column, its position in the pqarrow batch
	convs []converter
	// rowsLeft drives a scan with no columns (count(*)): batches of row counts only.
	rowsLeft int64
}

func (p *parquetBatches) open(ctx context.Context) error {
	ref := p.ds.files[p.split.file]
	if err := checkUnchanged(ref); err != nil {
		return err
	}
	footer, err := p.ds.src.footers.get(ref)
	if err != nil {
		return err
	}
	for _, rg := range p.split.rowGroups {
		if rg < 0 || rg >= len(footer.md.RowGroups) {
			return errs.New(errs.KindInvalidArgument, "split of file %s names row group %d, which does not exist; plan the query again", ref.rel, rg)
		}
	}
	if len(p.cols) == 0 {
		for _, rg := range p.split.rowGroups {
			p.rowsLeft += footer.rowGroupRows(rg)
		}
		return nil
	}
	fields, err := p.ds.bindFile(footer.fields, ref.rel, p.cols)
	if err != nil {
		return err
	}
	var leaves []int
	position := map[int]int{}
	p.pick = make([]int, len(fields))
	p.convs = make([]converter, len(fields))
	for i, ff := range fields {
		pos, ok := position[ff.leaf]
		if !ok {
			pos = len(leaves)
			position[ff.leaf] = pos
			leaves = append(leaves, ff.leaf)
		}
		p.pick[i] = pos
		if p.convs[i], err = newConverter(ff.raw, ff.canonical, p.cols[i].Type, p.alloc); err != nil {
			return errs.Wrap(errs.KindInternal, err, "column %s of file %s cannot be converted", ff.name, ref.rel)
		}
	}

	f, err := os.Open(ref.abs)
	if err != nil {
		return errs.Wrap(errs.KindUnavailable, err, "file %s cannot be opened", ref.rel)
	}
	// Page and decompression buffers come from the scan's allocator too, so the query's
	// budget sees them; they are released when the reader is closed.
	props := parquet.NewReaderProperties(p.alloc)
	rdr, err := file.NewParquetReader(f, file.WithReadProps(props), file.WithMetadata(footer.md))
	if err != nil {
		f.Close()
		return errs.Wrap(errs.KindInvalidArgument, err, "file %s is not a readable Parquet file", ref.rel)
	}
	p.rdr = rdr
	arrowProps := pqarrow.ArrowReadProperties{BatchSize: int64(p.batchRows), Parallel: !p.ds.src.opts.SerialColumns}
	fr, err := pqarrow.NewFileReader(rdr, arrowProps, p.alloc)
	if err != nil {
		return errs.Wrap(errs.KindInvalidArgument, err, "file %s has a Parquet schema that cannot be mapped to Arrow", ref.rel)
	}
	// Read with the types derived from the Parquet schema alone, as Describe reported
	// them (see readParquetFooter).
	if fr.Manifest, err = pqarrow.NewSchemaManifest(footer.md.Schema, nil, &fr.Props); err != nil {
		return errs.Wrap(errs.KindInvalidArgument, err, "file %s has a Parquet schema that cannot be mapped to Arrow", ref.rel)
	}
	rr, err := fr.GetRecordReader(ctx, leaves, p.split.rowGroups)
	if err != nil {
		return errs.Wrap(errs.KindInvalidArgument, err, "file %s cannot be read", ref.rel)
	}
	p.rr = rr
	return nil
}

func (p *parquetBatches) next() (arrow.RecordBatch, error) {
	if len(p.cols) == 0 {
		if p.rowsLeft == 0 {
			return nil, nil
		}
		n := min(p.rowsLeft, int64(p.batchRows))
		p.rowsLeft -= n
		return array.NewRecordBatch(p.schema, nil, n), nil
	}
	if !p.rr.Next() {
		if err := p.rr.Err(); err != nil {
			return nil, errs.Wrap(errs.KindInvalidArgument, err, "file %s cannot be read", p.ds.files[p.split.file].rel)
		}
		return nil, nil
	}
	return project(p.rr.RecordBatch(), p.schema, p.pick, p.convs, p.ds.files[p.split.file].rel)
}

func (p *parquetBatches) close() {
	if p.rr != nil {
		p.rr.Release()
		p.rr = nil
	}
	if p.rdr != nil {
		p.rdr.Close()
		p.rdr = nil
	}
}

// project builds an output batch from the columns pick selects in rec, converting those
// with a converter. rec stays owned by the caller.
func project(rec arrow.RecordBatch, schema *arrow.Schema, pick []int, convs []converter, rel string) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, len(pick))
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i, pos := range pick {
		arr := rec.Column(pos)
		if convs[i] == nil {
			arr.Retain()
			cols[i] = arr
			continue
		}
		conv, err := convs[i](arr)
		if err != nil {
			return nil, errs.Wrap(errs.KindInvalidArgument, err, "column %s of file %s cannot be read as %s",
				schema.Field(i).Name, rel, expr.SQLTypeName(schema.Field(i).Type))
		}
		cols[i] = conv
	}
	return array.NewRecordBatch(schema, cols, rec.NumRows()), nil
}
