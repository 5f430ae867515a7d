package executor

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/meshgate/meshgate/connectors"
)

// ScanOptions configure a Scan.
type ScanOptions struct {
	// TargetPartitions caps the number of output partitions. Default (0):
	// runtime.GOMAXPROCS(0).
	TargetPartitions int
	// Params are the bind parameter values for pushed expressions that contain expr.Param
	// nodes. Default: none.
	Params []any
}

// Scan reads a table handle's splits. Output partitions: min(len(splits), target), at least
// one; split i goes to partition i mod N and each partition reads its splits in order.
type Scan struct {
	handle     connectors.TableHandle
	splits     []connectors.Split
	schema     *arrow.Schema
	partitions int
	params     []any
}

var _ Plan = (*Scan)(nil)

// ScanCounters are what a Scan read from its source during one execution, for EXPLAIN
// ANALYZE: splits opened, rows and bytes of the batches the connector returned.
type ScanCounters struct {
	Splits atomic.Int64
	Rows   atomic.Int64
	Bytes  atomic.Int64
}

// NewScan builds a scan of handle over the splits the planner obtained from handle.Splits.
func NewScan(handle connectors.TableHandle, splits []connectors.Split, opts ScanOptions) (*Scan, error) {
	if handle == nil {
		return nil, internalf("Scan needs a table handle")
	}
	cols := handle.Columns()
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: c.Name, Type: c.Type, Nullable: true}
	}
	target := opts.TargetPartitions
	if target <= 0 {
		target = runtime.GOMAXPROCS(0)
	}
	return &Scan{
		handle:     handle,
		splits:     splits,
		schema:     arrow.NewSchema(fields, nil),
		partitions: max(1, min(len(splits), target)),
		params:     opts.Params,
	}, nil
}

func (s *Scan) Schema() *arrow.Schema { return s.schema }
func (s *Scan) Partitions() int       { return s.partitions }
func (s *Scan) Children() []Plan      { return nil }
func (s *Scan) Describe() (string, string) {
	return "Scan", fmt.Sprintf("%s splits=%d partitions=%d", s.handle.Explain(), len(s.splits), s.partitions)
}

// Counters returns what this scan read in the executions tc ran (also after they ended).
func (s *Scan) Counters(tc *TaskContext) *ScanCounters {
	v, _ := tc.run.counters.LoadOrStore(Plan(s), &ScanCounters{})
	return v.(*ScanCounters)
}

func (s *Scan) Execute(ctx context.Context, tc *TaskContext, p int) (Stream, error) {
	if err := checkPartition(s, p); err != nil {
		return nil, err
	}
	var mine []connectors.Split
	for i := p; i < len(s.splits); i += s.partitions {
		mine = append(mine, s.splits[i])
	}
	return &scanStream{ctx: ctx, tc: tc, scan: s, splits: mine, counters: s.Counters(tc)}, nil
}

type scanStream struct {
	ctx      context.Context
	tc       *TaskContext
	scan     *Scan
	splits   []connectors.Split
	reader   array.RecordReader
	counters *ScanCounters
}

func (s *scanStream) Next() (arrow.RecordBatch, error) {
	for {
		if err := s.ctx.Err(); err != nil {
			return nil, err
		}
		if s.reader == nil {
			if len(s.splits) == 0 {
				return nil, EOF
			}
			split := s.splits[0]
			s.splits = s.splits[1:]
			r, err := s.scan.handle.Scan(s.ctx, split, connectors.ScanOptions{
				Alloc: s.tc.Alloc, BatchRows: s.tc.batchRows(), Params: s.scan.params,
			})
			if err != nil {
				return nil, err
			}
			s.reader = r
			s.counters.Splits.Add(1)
		}
		if !s.reader.Next() {
			err := s.reader.Err()
			s.reader.Release()
			s.reader = nil
			if err != nil {
				return nil, err
			}
			continue
		}
		rec := s.reader.RecordBatch()
		if rec.NumRows() == 0 {
			continue
		}
		if err := s.checkSchema(rec); err != nil {
			return nil, err
		}
		// The reader owns rec until its next Next; re-wrapping under the plan's schema takes
		// our own references to the columns.
		out := array.NewRecordBatch(s.scan.schema, rec.Columns(), rec.NumRows())
		s.counters.Rows.Add(out.NumRows())
		s.counters.Bytes.Add(BatchBytes(out))
		return out, nil
	}
}

func (s *scanStream) checkSchema(rec arrow.RecordBatch) error {
	want := s.scan.schema
	if int(rec.NumCols()) != want.NumFields() {
		return internalf("the connector returned %d columns for %s, the handle declares %d", rec.NumCols(), s.scan.handle.Explain(), want.NumFields())
	}
	for i, f := range want.Fields() {
		if got := rec.Column(i).DataType(); !arrow.TypeEqual(got, f.Type) {
			return internalf("the connector returned column %s as %s, the handle declares %s", f.Name, got, f.Type)
		}
	}
	return nil
}

func (s *scanStream) Close() {
	if s.reader != nil {
		s.reader.Release()
		s.reader = nil
	}
	s.splits = nil
}
