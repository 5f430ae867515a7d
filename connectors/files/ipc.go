package files

import (
	"bytes"
	"context"
	"io"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/internal/errs"
)

// ipcMagic starts (and ends) an Arrow IPC file; a file without it is read as an IPC
// stream (the .arrows convention).
var ipcMagic = []byte("ARROW1")

// ipcReader iterates the batches of an IPC file or stream.
type ipcReader interface {
	schema() *arrow.Schema
	// read returns the next batch, owned by the reader until the next call; nil at the end.
	read() (arrow.RecordBatch, error)
	close()
}

func openIPC(ref fileRef, mem memory.Allocator) (ipcReader, error) {
	f, err := os.Open(ref.abs)
	if err != nil {
		return nil, errs.Wrap(errs.KindUnavailable, err, "file %s cannot be opened", ref.rel)
	}
	head := make([]byte, len(ipcMagic))
	if _, err := io.ReadFull(f, head); err == nil && bytes.Equal(head, ipcMagic) {
		r, err := ipc.NewFileReader(f, ipc.WithAllocator(mem))
		if err != nil {
			f.Close()
			return nil, errs.Wrap(errs.KindInvalidArgument, err, "file %s is not a readable Arrow IPC file", ref.rel)
		}
		return &ipcFile{f: f, r: r}, nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, errs.Wrap(errs.KindUnavailable, err, "file %s cannot be read", ref.rel)
	}
	r, err := ipc.NewReader(f, ipc.WithAllocator(mem))
	if err != nil {
		f.Close()
		return nil, errs.Wrap(errs.KindInvalidArgument, err, "file %s is neither an Arrow IPC file nor an IPC stream", ref.rel)
	}
	return &ipcStream{f: f, r: r}, nil
}

type ipcFile struct {
	f    *os.File
	r    *ipc.FileReader
	next int
	cur  arrow.RecordBatch
}

func (i *ipcFile) schema() *arrow.Schema { return i.r.Schema() }

func (i *ipcFile) read() (arrow.RecordBatch, error) {
	if i.cur != nil {
		i.cur.Release()
		i.cur = nil
	}
	if i.next >= i.r.NumRecords() {
		return nil, nil
	}
	rec, err := i.r.RecordBatchAt(i.next)
	if err != nil {
		return nil, err
	}
	i.next++
	i.cur = rec
	return rec, nil
}

func (i *ipcFile) close() {
	if i.cur != nil {
		i.cur.Release()
		i.cur = nil
	}
	i.r.Close()
	i.f.Close()
}

type ipcStream struct {
	f *os.File
	r *ipc.Reader
}

func (i *ipcStream) schema() *arrow.Schema { return i.r.Schema() }

func (i *ipcStream) read() (arrow.RecordBatch, error) {
	if !i.r.Next() {
		return nil, i.r.Err()
	}
	return i.r.RecordBatch(), nil
}

func (i *ipcStream) close() {
	i.r.Release()
	i.f.Close()
}

func readIPCFields(ref fileRef) ([]fileField, error) {
	r, err := openIPC(ref, memory.DefaultAllocator)
	if err != nil {
		return nil, err
	}
	defer r.close()
	return ipcFields(r.schema()), nil
}

func ipcFields(sc *arrow.Schema) []fileField {
	fields := make([]fileField, sc.NumFields())
	for i, f := range sc.Fields() {
		canonical, reason := canonicalType(f.Type)
		fields[i] = fileField{name: f.Name, raw: f.Type, canonical: canonical, reason: reason, nullable: f.Nullable, index: i, leaf: -1}
	}
	return fields
}

// ipcBatches reads one IPC file or stream, converting each batch to the declared types.
type ipcBatches struct {
	ds     *dataset
	ref    fileRef
	cols   []connectors.Column
	schema *arrow.Schema
	alloc  memory.Allocator

	r     ipcReader
	pick  []int
	convs []converter
}

func (b *ipcBatches) open(context.Context) error {
	if err := checkUnchanged(b.ref); err != nil {
		return err
	}
	// arrow-go's IPC FileReader (v18.7) keeps dictionary batches referenced after Close,
	// so files with dictionary-encoded columns are read with the Go allocator and every
	// output column is copied into the scan's allocator.
	r, err := openIPC(b.ref, memory.DefaultAllocator)
	if err != nil {
		return err
	}
	copyOut := schemaHasDictionary(r.schema())
	if !copyOut {
		r.close()
		if r, err = openIPC(b.ref, b.alloc); err != nil {
			return err
		}
	}
	b.r = r
	fields, err := b.ds.bindFile(ipcFields(r.schema()), b.ref.rel, b.cols)
	if err != nil {
		return err
	}
	b.pick = make([]int, len(fields))
	b.convs = make([]converter, len(fields))
	for i, ff := range fields {
		b.pick[i] = ff.index
		if b.convs[i], err = newConverter(ff.raw, ff.canonical, b.cols[i].Type, b.alloc); err != nil {
			return errs.Wrap(errs.KindInternal, err, "column %s of file %s cannot be converted", ff.name, b.ref.rel)
		}
		if copyOut {
			b.convs[i] = copyingConverter(b.convs[i], b.alloc)
		}
	}
	return nil
}

func schemaHasDictionary(sc *arrow.Schema) bool {
	for _, f := range sc.Fields() {
		if f.Type.ID() == arrow.DICTIONARY {
			return true
		}
	}
	return false
}

// copyingConverter runs conv (if any) and copies the result into mem, so no buffer of the
// output is shared with the file reader.
func copyingConverter(conv converter, mem memory.Allocator) converter {
	return func(arr arrow.Array) (arrow.Array, error) {
		if conv != nil {
			converted, err := conv(arr)
			if err != nil {
				return nil, err
			}
			defer converted.Release()
			arr = converted
		}
		return array.Concatenate([]arrow.Array{arr}, mem)
	}
}

func (b *ipcBatches) next() (arrow.RecordBatch, error) {
	rec, err := b.r.read()
	if err != nil {
		return nil, errs.Wrap(errs.KindInvalidArgument, err, "file %s cannot be read", b.ref.rel)
	}
	if rec == nil {
		return nil, nil
	}
	return project(rec, b.schema, b.pick, b.convs, b.ref.rel)
}

func (b *ipcBatches) close() {
	if b.r != nil {
		b.r.close()
		b.r = nil
	}
}
