package tpch

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/meshgate/meshgate/internal/errs"
)

// GeneratorVersion identifies the data the generator produces. It is recorded in manifests
// and in PostgreSQL load markers; bump it whenever a change alters any generated value, so
// stale copies are regenerated instead of silently compared against new ones.
const GeneratorVersion = "1"

// ManifestFileName is the name of the manifest Generate writes into its output directory.
const ManifestFileName = "manifest.json"

// Layout of the Parquet output. Files are the unit scans split on; row groups the unit of
// pruning and of parallel reads inside a file.
const (
	rowGroupRows = 128 * 1024
	// Blocks per file: ORDERS/LINEITEM files hold 24 × 16384 orders (about 1.6 M lines),
	// PARTSUPP files 1 M rows, other tables 1 M rows.
	orderBlocksPerFile    = 24
	partSuppBlocksPerFile = 16
	otherBlocksPerFile    = 64
)

// GenerateOptions configures Generate.
type GenerateOptions struct {
	// SF is the TPC-H scale factor (1 ≈ 1 GB of raw data); at least MinScaleFactor. Required.
	SF float64
	// Dir is the output root; files go to Dir/<domain>/<table>/part-NNNNN.parquet. Required.
	Dir string
	// Parallelism is the number of files written at once. Default runtime.GOMAXPROCS(0).
	// It never changes the data.
	Parallelism int
	// Allocator backs the Arrow builders and the Parquet writers. Default
	// memory.NewGoAllocator().
	Allocator memory.Allocator
	// Force regenerates even when Dir holds a manifest of the same scale factor and
	// generator version. Default false: such output is reused as is.
	Force bool
}

// Manifest describes a generated data set; Generate writes it as Dir/manifest.json.
type Manifest struct {
	SF               float64         `json:"sf"`
	GeneratorVersion string          `json:"generator_version"`
	Tables           []ManifestTable `json:"tables"`
}

// ManifestTable lists the files of one table.
type ManifestTable struct {
	Name   string         `json:"name"`
	Domain string         `json:"domain"`
	Rows   int64          `json:"rows"`
	Files  []ManifestFile `json:"files"`
}

// ManifestFile is one Parquet file. SHA256 covers the whole file; the writer is deterministic,
// so equal checksums mean equal data.
type ManifestFile struct {
	// Path is relative to the output directory, with forward slashes.
	Path   string `json:"path"`
	Rows   int64  `json:"rows"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// Table returns the entry of a table by dataset name ("lineitem").
func (m *Manifest) Table(name string) (ManifestTable, bool) {
	for _, t := range m.Tables {
		if t.Name == name {
			return t, true
		}
	}
	return ManifestTable{}, false
}

// Generate writes the eight TPC-H tables at opts.SF as Parquet files under opts.Dir and returns
// their manifest. When opts.Dir already holds a complete data set of the same scale factor and
// GeneratorVersion it is returned without regenerating (unless opts.Force). Output is
// deterministic: the same SF gives byte-identical files whatever opts.Parallelism.
//
// Generate replaces only Dir/manifest.json and the eight table directories; the manifest is
// written last, so an interrupted run is redone by the next call. Concurrent calls on the same
// Dir are not supported.
func Generate(ctx context.Context, opts GenerateOptions) (*Manifest, error) {
	s, err := newScale(opts.SF)
	if err != nil {
		return nil, err
	}
	if opts.Dir == "" {
		return nil, errs.New(errs.KindInvalidArgument, "TPC-H generator: no output directory given: set GenerateOptions.Dir")
	}
	if opts.Parallelism <= 0 {
		opts.Parallelism = runtime.GOMAXPROCS(0)
	}
	if opts.Allocator == nil {
		opts.Allocator = memory.NewGoAllocator()
	}
	if !opts.Force {
		if m, ok := reusableManifest(opts.Dir, opts.SF); ok {
			return m, nil
		}
	}
	if err := prepareDir(opts.Dir); err != nil {
		return nil, err
	}

	g := newGenerator(s, opts.Allocator)
	jobs := g.fileJobs()
	results := make([][]ManifestFile, len(jobs))
	err = runParallel(ctx, opts.Parallelism, len(jobs), func(ctx context.Context, i int) error {
		files, err := g.writeFiles(ctx, opts.Dir, jobs[i])
		results[i] = files
		return err
	})
	if err != nil {
		return nil, err
	}

	m := &Manifest{SF: opts.SF, GeneratorVersion: GeneratorVersion}
	defs := tableDefs()
	for id := range tableCount {
		mt := ManifestTable{Name: defs[id].name, Domain: defs[id].domain}
		for i, job := range jobs {
			for j, jobTable := range job.family.tables {
				if jobTable == id {
					mt.Files = append(mt.Files, results[i][j])
					mt.Rows += results[i][j].Rows
				}
			}
		}
		m.Tables = append(m.Tables, mt)
	}
	if err := writeManifest(opts.Dir, m); err != nil {
		return nil, err
	}
	return m, nil
}

// ReadManifest reads Dir/manifest.json.
func ReadManifest(dir string) (*Manifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, ManifestFileName))
	if err != nil {
		return nil, errs.Wrap(errs.KindNotFound, err, "TPC-H data in %s has no readable manifest: run the generator (meshgate bench tpch) first", dir)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, errs.Wrap(errs.KindFailedPrecondition, err, "TPC-H manifest in %s is corrupt: delete the directory and generate again", dir)
	}
	return &m, nil
}

// reusableManifest returns the manifest in dir if it matches sf and the generator version and
// every file it lists is present with its recorded size. Checksums are not re-verified: that
// would read the whole data set on every demo start.
func reusableManifest(dir string, sf float64) (*Manifest, bool) {
	m, err := ReadManifest(dir)
	if err != nil || m.SF != sf || m.GeneratorVersion != GeneratorVersion || len(m.Tables) != int(tableCount) {
		return nil, false
	}
	for _, t := range m.Tables {
		for _, f := range t.Files {
			info, err := os.Stat(filepath.Join(dir, filepath.FromSlash(f.Path)))
			if err != nil || info.Size() != f.Bytes {
				return nil, false
			}
		}
	}
	return m, true
}

// prepareDir removes a previous manifest and previous table directories (and nothing else).
func prepareDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return errs.Wrap(errs.KindFailedPrecondition, err, "TPC-H generator cannot create output directory %s: check the path and its permissions", dir)
	}
	if err := os.Remove(filepath.Join(dir, ManifestFileName)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return errs.Wrap(errs.KindFailedPrecondition, err, "TPC-H generator cannot replace the manifest in %s: check permissions", dir)
	}
	defs := tableDefs()
	for _, d := range defs {
		tableDir := filepath.Join(dir, d.domain, d.name)
		if err := os.RemoveAll(tableDir); err != nil {
			return errs.Wrap(errs.KindFailedPrecondition, err, "TPC-H generator cannot clear %s: check permissions", tableDir)
		}
		if err := os.MkdirAll(tableDir, 0o755); err != nil {
			return errs.Wrap(errs.KindFailedPrecondition, err, "TPC-H generator cannot create %s: check permissions", tableDir)
		}
	}
	return nil
}

func writeManifest(dir string, m *Manifest) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return errs.Wrap(errs.KindInternal, err, "encoding TPC-H manifest")
	}
	tmp := filepath.Join(dir, ManifestFileName+".tmp")
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return errs.Wrap(errs.KindFailedPrecondition, err, "TPC-H generator cannot write the manifest in %s: check free space and permissions", dir)
	}
	if err := os.Rename(tmp, filepath.Join(dir, ManifestFileName)); err != nil {
		return errs.Wrap(errs.KindFailedPrecondition, err, "TPC-H generator cannot write the manifest in %s: check permissions", dir)
	}
	return nil
}

// fileJob writes one file for each table of a family from a contiguous range of blocks.
type fileJob struct {
	family           family
	file             int
	firstBlk, endBlk int64
}

// fileJobs splits every family into files. The largest families come first so the longest
// jobs start early and the pool finishes evenly.
func (g *generator) fileJobs() []fileJob {
	fams := g.families()
	split := func(f family, perFile int64) []fileJob {
		var jobs []fileJob
		total := blocks(f.units)
		for first, file := int64(0), 0; first < total; first, file = first+perFile, file+1 {
			jobs = append(jobs, fileJob{family: f, file: file, firstBlk: first, endBlk: min(first+perFile, total)})
		}
		return jobs
	}
	var jobs []fileJob
	for _, f := range fams {
		if f.tables[0] == tableOrders {
			jobs = append(jobs, split(f, orderBlocksPerFile)...)
		}
	}
	for _, f := range fams {
		switch f.tables[0] {
		case tableOrders:
		case tablePartSupp:
			jobs = append(jobs, split(f, partSuppBlocksPerFile)...)
		default:
			jobs = append(jobs, split(f, otherBlocksPerFile)...)
		}
	}
	return jobs
}

// fileOut is one Parquet file being written: bytes go through a buffer to the file and,
// at the same time, into the checksum.
type fileOut struct {
	rel, tmp, final string
	file            *os.File
	buf             *bufio.Writer
	hash            io.Writer
	sum             func() []byte
	writer          *pqarrow.FileWriter
	rows            int64
}

func (g *generator) writeFiles(ctx context.Context, dir string, job fileJob) (files []ManifestFile, err error) {
	defs := tableDefs()
	outs := make([]*fileOut, len(job.family.tables))
	defer func() {
		for _, o := range outs {
			if o != nil && o.file != nil {
				o.file.Close()
				os.Remove(o.tmp)
			}
		}
	}()
	for i, id := range job.family.tables {
		d := defs[id]
		rel := path.Join(d.domain, d.name, fmt.Sprintf("part-%05d.parquet", job.file))
		final := filepath.Join(dir, filepath.FromSlash(rel))
		o := &fileOut{rel: rel, final: final, tmp: final + ".tmp"}
		if o.file, err = os.Create(o.tmp); err != nil {
			return nil, errs.Wrap(errs.KindFailedPrecondition, err, "TPC-H generator cannot create %s: check free space and permissions", o.tmp)
		}
		outs[i] = o
		h := sha256.New()
		o.buf = bufio.NewWriterSize(o.file, 1<<20)
		o.sum = func() []byte { return h.Sum(nil) }
		o.writer, err = pqarrow.NewFileWriter(g.schemas[id], io.MultiWriter(o.buf, h), writerProperties(d, g.mem),
			pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema(), pqarrow.WithAllocator(g.mem)))
		if err != nil {
			return nil, errs.Wrap(errs.KindInternal, err, "opening Parquet writer for TPC-H table %s", d.name)
		}
	}

	for blk := job.firstBlk; blk < job.endBlk; blk++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		recs := job.family.block(blk)
		for i, rec := range recs {
			if err == nil {
				err = outs[i].writer.WriteBuffered(rec)
				outs[i].rows += rec.NumRows()
			}
			rec.Release()
		}
		if err != nil {
			return nil, errs.Wrap(errs.KindInternal, err, "writing TPC-H table %s", defs[job.family.tables[0]].name)
		}
	}

	for _, o := range outs {
		if err := o.writer.Close(); err != nil {
			return nil, errs.Wrap(errs.KindFailedPrecondition, err, "TPC-H generator cannot finish %s: check free space", o.tmp)
		}
		if err := o.buf.Flush(); err != nil {
			return nil, errs.Wrap(errs.KindFailedPrecondition, err, "TPC-H generator cannot write %s: check free space", o.tmp)
		}
		info, err := o.file.Stat()
		if err == nil {
			err = o.file.Close()
		}
		o.file = nil
		if err == nil {
			err = os.Rename(o.tmp, o.final)
		}
		if err != nil {
			os.Remove(o.tmp)
			return nil, errs.Wrap(errs.KindFailedPrecondition, err, "TPC-H generator cannot write %s: check free space and permissions", o.final)
		}
		files = append(files, ManifestFile{Path: o.rel, Rows: o.rows, Bytes: info.Size(), SHA256: hex.EncodeToString(o.sum())})
	}
	return files, nil
}

// writerProperties: Snappy (fast to write and read), decimals as INT64 (precision 15 fits),
// dictionary encoding except for the columns that are unique per row.
func writerProperties(d tableDef, mem memory.Allocator) *parquet.WriterProperties {
	props := []parquet.WriterProperty{
		parquet.WithAllocator(mem),
		parquet.WithCompression(compress.Codecs.Snappy),
		parquet.WithMaxRowGroupLength(rowGroupRows),
		parquet.WithStoreDecimalAsInteger(true),
	}
	for _, c := range d.columns {
		if c.plain {
			props = append(props, parquet.WithDictionaryFor(c.name, false))
		}
	}
	return parquet.NewWriterProperties(props...)
}

// runParallel runs fn(0..n-1) on up to workers goroutines and returns the first error; the
// context passed to fn is cancelled as soon as one call fails.
func runParallel(ctx context.Context, workers, n int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Go(func() {
			for i := range next {
				if err := fn(ctx, i); err != nil {
					cancel(err)
				}
			}
		})
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	return nil
}
