package files

import (
	"os"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
)

type pruneOutcome int

const (
	keepRowGroup pruneOutcome = iota
	prunedByStatistics
	prunedByDictionary
)

// rowGroupPruner decides, row group by row group, whether a Parquet file's row groups can
// be skipped. It opens the file only when a dictionary page is worth reading.
type rowGroupPruner struct {
	footer  *parquetFooter
	fields  []*fileField // per handle column
	ref     fileRef
	maxDict int64

	rdr        *file.Reader
	openFailed bool
}

func (p *rowGroupPruner) prune(rg int, preds []*pred, dictCols map[int]bool) pruneOutcome {
	facts := map[int]*chunkFacts{}
	get := func(col int) *chunkFacts {
		f, ok := facts[col]
		if !ok {
			f = p.footer.chunkFacts(rg, p.fields[col])
			facts[col] = f
		}
		return f
	}
	for _, pr := range preds {
		if !pr.mayMatch(get) {
			return prunedByStatistics
		}
	}
	loaded := false
	for col := range dictCols {
		ff := p.fields[col]
		if !p.footer.dictionaryEligible(rg, ff, p.maxDict) {
			continue
		}
		rdr := p.reader()
		if rdr == nil {
			break
		}
		// A dictionary that cannot be read or decoded simply does not prune.
		if values, ok := p.footer.readDictionary(rdr, rg, ff); ok {
			get(col).dict = values
			loaded = true
		}
	}
	if loaded {
		for _, pr := range preds {
			if !pr.mayMatch(get) {
				return prunedByDictionary
			}
		}
	}
	return keepRowGroup
}

// reader opens the file for dictionary reads: buffered streams, so reading a dictionary
// page does not read the whole column chunk.
func (p *rowGroupPruner) reader() *file.Reader {
	if p.rdr != nil || p.openFailed {
		return p.rdr
	}
	if checkUnchanged(p.ref) != nil {
		p.openFailed = true
		return nil
	}
	f, err := os.Open(p.ref.abs)
	if err != nil {
		p.openFailed = true
		return nil
	}
	props := parquet.NewReaderProperties(memory.DefaultAllocator)
	props.BufferedStreamEnabled = true
	rdr, err := file.NewParquetReader(f, file.WithReadProps(props), file.WithMetadata(p.footer.md))
	if err != nil {
		f.Close()
		p.openFailed = true
		return nil
	}
	p.rdr = rdr
	return rdr
}

func (p *rowGroupPruner) close() {
	if p.rdr != nil {
		p.rdr.Close()
		p.rdr = nil
	}
}
