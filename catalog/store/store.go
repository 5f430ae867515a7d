package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/meshgate/meshgate/internal/errs"
)

// Document is one versioned piece of state.
type Document struct {
	Kind string `json:"kind"`
	Key  string `json:"key"`
	// Version counts the writes of (Kind, Key), tombstones included: 1 for the first.
	Version uint64 `json:"version"`
	// Time and Node order writes across nodes for last-writer-wins.
	Time    Timestamp       `json:"time"`
	Node    string          `json:"node"`
	Deleted bool            `json:"deleted,omitempty"`
	Body    json.RawMessage `json:"body,omitempty"`
}

// Newer reports whether d wins over e under last-writer-wins: the later timestamp, ties
// broken by node id and then by version, so every node picks the same winner.
func (d Document) Newer(e Document) bool {
	if c := d.Time.Compare(e.Time); c != 0 {
		return c > 0
	}
	if d.Node != e.Node {
		return d.Node > e.Node
	}
	return d.Version > e.Version
}

// LiveVersion is the version a Write's ExpectVersion is compared with: 0 for a deleted
// document.
func (d Document) LiveVersion() uint64 {
	if d.Deleted {
		return 0
	}
	return d.Version
}

// Write is one change in a Commit.
type Write struct {
	Kind, Key string
	// Body is the new content (JSON). Ignored when Delete is set.
	Body json.RawMessage
	// Delete replaces the document by a tombstone.
	Delete bool
	// CheckVersion fails the whole commit with a Conflict error unless the document's
	// current live version is ExpectVersion (0: absent or deleted): optimistic concurrency.
	CheckVersion  bool
	ExpectVersion uint64
}

// Options configure a Store.
type Options struct {
	// Dir holds the log (documents.log). Created if missing. Required.
	Dir string
	// NodeID is stamped on every document this node writes. Default "local".
	NodeID string
	// Sync fsyncs after every commit so an acknowledged change survives a crash. Default
	// true via DefaultOptions; tests of other packages may turn it off for speed.
	Sync bool
	// CompactMinBytes: the log is compacted once it is larger than this and more than twice
	// the size of the live documents. Default 4 MiB.
	CompactMinBytes int64
	// Now is the wall clock of the hybrid logical clock. Default time.Now.
	Now func() time.Time
	// Logger reports a torn tail cut off at open. Default slog.Default().
	Logger *slog.Logger
}

// DefaultOptions returns the documented defaults for a store in dir.
func DefaultOptions(dir string) Options {
	return Options{Dir: dir, NodeID: "local", Sync: true, CompactMinBytes: 4 << 20, Now: time.Now, Logger: slog.Default()}
}

// LogFile is the name of the log inside Options.Dir.
const LogFile = "documents.log"

// maxRecordBytes bounds one record, so a corrupt length field cannot make open allocate
// gigabytes.
const maxRecordBytes = 256 << 20

var crcTable = crc32.MakeTable(crc32.Castagnoli)

type docKey struct{ kind, key string }

// Store is the document store. It is safe for concurrent use.
type Store struct {
	opts  Options
	clock *Clock
	path  string

	mu        sync.RWMutex
	docs      map[docKey]Document
	f         *os.File
	size      int64 // bytes of the log
	liveBytes int64 // bytes the documents would take in a fresh log
	broken    error // set when a failed write could not be undone; every write fails after
}

// Open opens (creating if needed) the store in opts.Dir and loads every document.
func Open(opts Options) (*Store, error) {
	def := DefaultOptions(opts.Dir)
	if opts.Dir == "" {
		return nil, errs.New(errs.KindInvalidArgument, "the document store needs a directory")
	}
	if opts.NodeID == "" {
		opts.NodeID = def.NodeID
	}
	if opts.CompactMinBytes <= 0 {
		opts.CompactMinBytes = def.CompactMinBytes
	}
	if opts.Now == nil {
		opts.Now = def.Now
	}
	if opts.Logger == nil {
		opts.Logger = def.Logger
	}
	if err := os.MkdirAll(opts.Dir, 0o750); err != nil {
		return nil, errs.Wrap(errs.KindUnavailable, err, "catalog store directory %s cannot be created", opts.Dir)
	}
	s := &Store{opts: opts, clock: NewClock(opts.Now), path: filepath.Join(opts.Dir, LogFile), docs: map[docKey]Document{}}
	// A leftover temporary file is a compaction that crashed before its rename: the log it
	// was replacing is still complete, so the temporary file is garbage.
	_ = os.Remove(s.path + ".tmp")
	if err := s.load(); err != nil {
		return nil, err
	}
	if err := s.maybeCompact(); err != nil {
		_ = s.f.Close()
		return nil, err
	}
	return s, nil
}

// load reads the log, cuts off a torn tail and opens the file for appending.
func (s *Store) load() error {
	f, err := os.OpenFile(s.path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return errs.Wrap(errs.KindUnavailable, err, "catalog store %s cannot be opened", s.path)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		_ = f.Close()
		return errs.Wrap(errs.KindUnavailable, err, "catalog store %s cannot be read", s.path)
	}
	good, records := 0, 0
	for good < len(data) {
		docs, n, ok := decodeRecord(data[good:])
		if !ok {
			break
		}
		for _, d := range docs {
			s.apply(d)
		}
		good += n
		records++
	}
	if good < len(data) {
		s.opts.Logger.Warn("catalog store: cutting off an incomplete last write (the node stopped while writing); earlier changes are intact",
			"file", s.path, "records", records, "dropped_bytes", len(data)-good)
		if err := f.Truncate(int64(good)); err != nil {
			_ = f.Close()
			return errs.Wrap(errs.KindUnavailable, err, "catalog store %s: cutting off a torn write", s.path)
		}
		if err := f.Sync(); err != nil {
			_ = f.Close()
			return errs.Wrap(errs.KindUnavailable, err, "catalog store %s cannot be synced", s.path)
		}
	}
	if _, err := f.Seek(int64(good), io.SeekStart); err != nil {
		_ = f.Close()
		return errs.Wrap(errs.KindUnavailable, err, "catalog store %s", s.path)
	}
	if err := syncDir(s.opts.Dir); err != nil {
		_ = f.Close()
		return err
	}
	s.f, s.size = f, int64(good)
	return nil
}

// decodeRecord reads one record: length (uint32 LE), CRC-32C of the payload, payload (a JSON
// array of documents). ok is false for a short, oversized or corrupt record.
func decodeRecord(b []byte) (docs []Document, n int, ok bool) {
	if len(b) < 8 {
		return nil, 0, false
	}
	length := binary.LittleEndian.Uint32(b[0:4])
	sum := binary.LittleEndian.Uint32(b[4:8])
	if length > maxRecordBytes || int(length) > len(b)-8 {
		return nil, 0, false
	}
	payload := b[8 : 8+int(length)]
	if crc32.Checksum(payload, crcTable) != sum {
		return nil, 0, false
	}
	if err := json.Unmarshal(payload, &docs); err != nil {
		return nil, 0, false
	}
	return docs, 8 + int(length), true
}

func encodeRecord(docs []Document) ([]byte, error) {
	payload, err := json.Marshal(docs)
	if err != nil {
		return nil, errs.Wrap(errs.KindInternal, err, "encoding catalog documents")
	}
	if len(payload) > maxRecordBytes {
		return nil, errs.New(errs.KindResourceExhausted, "a catalog change of %d bytes is over the %d-byte limit", len(payload), maxRecordBytes)
	}
	out := make([]byte, 8, 8+len(payload))
	binary.LittleEndian.PutUint32(out[0:4], uint32(len(payload)))
	binary.LittleEndian.PutUint32(out[4:8], crc32.Checksum(payload, crcTable))
	return append(out, payload...), nil
}

// apply installs d in memory if it wins over what is there. Callers hold mu (or own s).
func (s *Store) apply(d Document) bool {
	k := docKey{d.Kind, d.Key}
	cur, ok := s.docs[k]
	if ok && !d.Newer(cur) {
		return false
	}
	if ok {
		s.liveBytes -= docSize(cur)
	}
	s.docs[k] = d
	s.liveBytes += docSize(d)
	s.clock.Observe(d.Time)
	return true
}

func docSize(d Document) int64 {
	return int64(len(d.Kind) + len(d.Key) + len(d.Body) + len(d.Node) + 96)
}

// Get returns the document (kind, key), tombstones included.
func (s *Store) Get(kind, key string) (Document, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d, ok := s.docs[docKey{kind, key}]
	return d, ok
}

// List returns the live (not deleted) documents of a kind, sorted by key.
func (s *Store) List(kind string) []Document {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []Document
	for k, d := range s.docs {
		if k.kind == kind && !d.Deleted {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// All returns every document, tombstones included, sorted by kind and key: the full state a
// node sends a peer for anti-entropy.
func (s *Store) All() []Document {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Document, 0, len(s.docs))
	for _, d := range s.docs {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].Key < out[j].Key
	})
	return out
}

// Commit applies writes atomically: either every write is durable when Commit returns, or
// none is applied. A write whose body equals the live document's is skipped, so repeating a
// bootstrap is free. The resulting documents are returned in write order.
func (s *Store) Commit(writes []Write) ([]Document, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.broken != nil {
		return nil, s.broken
	}
	if s.f == nil {
		return nil, errs.New(errs.KindUnavailable, "catalog store %s is closed", s.path)
	}
	out := make([]Document, len(writes))
	var changed []Document
	pending := map[docKey]Document{}
	current := func(k docKey) (Document, bool) {
		if d, ok := pending[k]; ok {
			return d, true
		}
		d, ok := s.docs[k]
		return d, ok
	}
	for i, w := range writes {
		if w.Kind == "" || w.Key == "" {
			return nil, errs.New(errs.KindInvalidArgument, "a catalog document needs a kind and a key")
		}
		k := docKey{w.Kind, w.Key}
		cur, exists := current(k)
		if w.CheckVersion && cur.LiveVersion() != w.ExpectVersion {
			return nil, &ConflictError{Kind: w.Kind, Key: w.Key, Current: cur.LiveVersion(), Expected: w.ExpectVersion}
		}
		if exists && !cur.Deleted && !w.Delete && jsonEqual(cur.Body, w.Body) {
			out[i] = cur
			continue
		}
		if w.Delete && (!exists || cur.Deleted) {
			out[i] = cur
			continue
		}
		d := Document{Kind: w.Kind, Key: w.Key, Version: cur.Version + 1, Time: s.clock.Now(), Node: s.opts.NodeID, Deleted: w.Delete}
		if !w.Delete {
			d.Body = append(json.RawMessage(nil), w.Body...)
		}
		pending[k] = d
		changed = append(changed, d)
		out[i] = d
	}
	if len(changed) == 0 {
		return out, nil
	}
	if err := s.appendRecord(changed); err != nil {
		return nil, err
	}
	for _, d := range changed {
		s.apply(d)
	}
	if err := s.maybeCompact(); err != nil {
		// The commit is durable; a failed compaction only leaves a longer log.
		s.opts.Logger.Warn("catalog store: compaction failed; the log stays as is", "file", s.path, "error", err)
	}
	return out, nil
}

// Merge applies documents received from another node: each one replaces the local copy only
// if it is newer (last-writer-wins). It returns the documents that were applied.
func (s *Store) Merge(docs []Document) ([]Document, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.broken != nil {
		return nil, s.broken
	}
	var accepted []Document
	for _, d := range docs {
		cur, ok := s.docs[docKey{d.Kind, d.Key}]
		if !ok || d.Newer(cur) {
			accepted = append(accepted, d)
		}
	}
	if len(accepted) == 0 {
		return nil, nil
	}
	if err := s.appendRecord(accepted); err != nil {
		return nil, err
	}
	for _, d := range accepted {
		s.apply(d)
	}
	return accepted, nil
}

// ConflictError is a Commit whose expected version did not match.
type ConflictError struct {
	Kind, Key         string
	Current, Expected uint64
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%s %s was changed concurrently: it is at version %d, the change expected %d; re-read it and retry", e.Kind, e.Key, e.Current, e.Expected)
}

// ErrorKind classifies the conflict for API responses (409).
func (e *ConflictError) ErrorKind() errs.Kind { return errs.KindConflict }

func jsonEqual(a, b json.RawMessage) bool {
	if bytes.Equal(a, b) {
		return true
	}
	var ca, cb bytes.Buffer
	if json.Compact(&ca, a) != nil || json.Compact(&cb, b) != nil {
		return false
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}

// appendRecord writes one record and fsyncs it. On failure the file is cut back to its
// previous size so the next record does not follow garbage. Callers hold mu.
func (s *Store) appendRecord(docs []Document) error {
	rec, err := encodeRecord(docs)
	if err != nil {
		return err
	}
	if _, err := s.f.Write(rec); err != nil {
		return s.undo(errs.Wrap(errs.KindUnavailable, err, "writing the catalog store %s", s.path))
	}
	if s.opts.Sync {
		if err := s.f.Sync(); err != nil {
			return s.undo(errs.Wrap(errs.KindUnavailable, err, "syncing the catalog store %s", s.path))
		}
	}
	s.size += int64(len(rec))
	return nil
}

func (s *Store) undo(cause error) error {
	if err := s.f.Truncate(s.size); err != nil {
		s.broken = errs.Wrap(errs.KindUnavailable, cause, "the catalog store %s is in an unknown state after a failed write; restart the node", s.path)
		return s.broken
	}
	if _, err := s.f.Seek(s.size, io.SeekStart); err != nil {
		s.broken = errs.Wrap(errs.KindUnavailable, cause, "the catalog store %s is in an unknown state after a failed write; restart the node", s.path)
		return s.broken
	}
	return cause
}

// maybeCompact rewrites the log once it is mostly superseded documents. Callers hold mu.
func (s *Store) maybeCompact() error {
	if s.size < s.opts.CompactMinBytes || s.size < 2*s.liveBytes {
		return nil
	}
	return s.compact()
}

// compact writes every document to a temporary file, fsyncs it, renames it over the log and
// fsyncs the directory: the rename is atomic, so a crash leaves the old or the new log.
func (s *Store) compact() error {
	tmp := s.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return errs.Wrap(errs.KindUnavailable, err, "compacting the catalog store %s", s.path)
	}
	keys := make([]docKey, 0, len(s.docs))
	for k := range s.docs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].kind != keys[j].kind {
			return keys[i].kind < keys[j].kind
		}
		return keys[i].key < keys[j].key
	})
	var size int64
	fail := func(err error) error {
		_ = f.Close()
		_ = os.Remove(tmp)
		return errs.Wrap(errs.KindUnavailable, err, "compacting the catalog store %s", s.path)
	}
	for _, k := range keys {
		rec, err := encodeRecord([]Document{s.docs[k]})
		if err != nil {
			return fail(err)
		}
		if _, err := f.Write(rec); err != nil {
			return fail(err)
		}
		size += int64(len(rec))
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, s.path); err != nil {
		return fail(err)
	}
	if err := syncDir(s.opts.Dir); err != nil {
		_ = f.Close()
		return err
	}
	// From here the new log is the store: switch the append handle to it.
	if err := f.Close(); err != nil {
		return errs.Wrap(errs.KindUnavailable, err, "compacting the catalog store %s", s.path)
	}
	nf, err := os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		s.broken = errs.Wrap(errs.KindUnavailable, err, "the catalog store %s cannot be reopened after compaction; restart the node", s.path)
		return s.broken
	}
	_ = s.f.Close()
	s.f, s.size = nf, size
	return nil
}

// Compact rewrites the log now (tests and maintenance).
func (s *Store) Compact() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return errs.New(errs.KindUnavailable, "catalog store %s is closed", s.path)
	}
	return s.compact()
}

// Clock is the store's hybrid logical clock.
func (s *Store) Clock() *Clock { return s.clock }

// NodeID is the id stamped on this node's writes.
func (s *Store) NodeID() string { return s.opts.NodeID }

// Close closes the log. Reads still work; writes fail.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	return err
}

// syncDir fsyncs a directory so a created or renamed file's name is durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return errs.Wrap(errs.KindUnavailable, err, "catalog store directory %s", dir)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return errs.Wrap(errs.KindUnavailable, err, "syncing the catalog store directory %s", dir)
	}
	return nil
}
