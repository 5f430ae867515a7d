package client

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"golang.org/x/term"
)

// Querier runs SQL; *Client implements it.
type Querier interface {
	Query(ctx context.Context, sql string, params ...any) (*Result, error)
}

var _ Querier = (*Client)(nil)

// ShellOptions configure RunShell.
type ShellOptions struct {
	// Client runs the statements.
	Client Querier
	// Format of the results. Default FormatTable.
	Format Format
	// In supplies SQL; Out receives results; Err receives warnings, errors and timings.
	In  io.Reader
	Out io.Writer
	Err io.Writer
	// Interactive reads with line editing and history (golang.org/x/term), shows a prompt,
	// reports errors and carries on, and lets Ctrl-C cancel the running statement. When In
	// is a terminal it is switched to raw mode while a line is edited. Otherwise the input
	// is a script: the first failing statement ends it with a *StatementError.
	Interactive bool
	// HistoryFile persists interactive history (up/down keys); empty keeps it in memory.
	HistoryFile string
	// Now measures elapsed time. Default time.Now.
	Now func() time.Time
}

// StatementError reports a statement of a script that failed; its message is the friendly
// text already printed to ShellOptions.Err.
type StatementError struct {
	SQL string
	Err error
}

func (e *StatementError) Error() string { return FriendlyError(e.Err) }
func (e *StatementError) Unwrap() error { return e.Err }

// Prompts show whether a statement is being continued.
const (
	promptNew      = "meshgate=> "
	promptContinue = "meshgate-> "
)

// RunShell runs SQL statements read from opts.In, each terminated by a semicolon outside
// quotes and comments (a script's last statement may omit it), and prints every result.
// \q, quit and exit end the session.
func RunShell(ctx context.Context, opts ShellOptions) error {
	if opts.Format == "" {
		opts.Format = FormatTable
	}
	if _, err := ParseFormat(string(opts.Format)); err != nil {
		return err
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	sh := &shell{opts: opts}
	if opts.Interactive {
		return sh.interactive(ctx)
	}
	return sh.script(ctx)
}

type shell struct {
	opts ShellOptions
}

func isQuit(line string) bool {
	switch strings.ToLower(strings.TrimSuffix(strings.TrimSpace(line), ";")) {
	case `\q`, "quit", "exit":
		return true
	}
	return false
}

func (sh *shell) script(ctx context.Context) error {
	in := bufio.NewScanner(sh.opts.In)
	in.Buffer(make([]byte, 64<<10), 64<<20)
	var sp splitter
	for in.Scan() {
		if !sp.inStatement() && isQuit(in.Text()) {
			return nil
		}
		for _, stmt := range sp.feed(in.Text()) {
			if err := sh.run(ctx, stmt); err != nil {
				return err
			}
		}
	}
	if err := in.Err(); err != nil {
		return fmt.Errorf("reading SQL: %w", err)
	}
	if last := sp.flush(); last != "" {
		return sh.run(ctx, last)
	}
	return nil
}

func (sh *shell) interactive(ctx context.Context) error {
	raw := newRawMode(sh.opts.In)
	defer raw.leave()
	t := term.NewTerminal(struct {
		io.Reader
		io.Writer
	}{sh.opts.In, sh.opts.Out}, promptNew)
	if sh.opts.HistoryFile != "" {
		t.History = loadHistory(sh.opts.HistoryFile)
	}
	fmt.Fprintf(sh.opts.Out, "meshgate SQL shell: end statements with ';', \\q to quit.\n")
	var sp splitter
	for ctx.Err() == nil {
		if sp.inStatement() {
			t.SetPrompt(promptContinue)
		} else {
			t.SetPrompt(promptNew)
		}
		raw.enter()
		line, err := t.ReadLine()
		raw.leave()
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case errors.Is(err, term.ErrPasteIndicator):
			// A pasted line is still a line.
		case err != nil:
			return fmt.Errorf("reading input: %w", err)
		}
		if !sp.inStatement() && isQuit(line) {
			return nil
		}
		for _, stmt := range sp.feed(line) {
			_ = sh.runInterruptible(ctx, stmt)
		}
	}
	return nil
}

// runInterruptible runs one statement that Ctrl-C (SIGINT) cancels without ending the
// shell.
func (sh *shell) runInterruptible(ctx context.Context, stmt string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	interrupts := make(chan os.Signal, 1)
	signal.Notify(interrupts, os.Interrupt)
	defer signal.Stop(interrupts)
	go func() {
		select {
		case <-interrupts:
			cancel()
		case <-ctx.Done():
		}
	}()
	return sh.run(ctx, stmt)
}

// run executes one statement and prints its result, warnings and errors.
func (sh *shell) run(ctx context.Context, stmt string) error {
	start := sh.opts.Now()
	res, err := sh.opts.Client.Query(ctx, stmt)
	if err != nil {
		return sh.fail(stmt, err)
	}
	defer res.Close()
	w := newResultWriter(sh.opts.Format, sh.opts.Out)
	if err := w.begin(res.Schema()); err != nil {
		return sh.fail(stmt, err)
	}
	var rows int64
	for res.Next() {
		rec := res.RecordBatch()
		if err := w.batch(rec); err != nil {
			return sh.fail(stmt, err)
		}
		rows += rec.NumRows()
	}
	if err := res.Err(); err != nil {
		return sh.fail(stmt, err)
	}
	if err := w.end(rows); err != nil {
		return sh.fail(stmt, err)
	}
	for _, warning := range res.Warnings() {
		fmt.Fprintf(sh.opts.Err, "WARNING: %s\n", warning)
	}
	if sh.opts.Format == FormatTable {
		fmt.Fprintf(sh.opts.Err, "Time: %.3f ms\n", float64(sh.opts.Now().Sub(start).Microseconds())/1000)
	}
	return nil
}

func (sh *shell) fail(stmt string, err error) error {
	fmt.Fprintln(sh.opts.Err, FriendlyError(err))
	return &StatementError{SQL: stmt, Err: err}
}

// rawMode switches a terminal input to raw mode while a line is edited, and back to cooked
// mode while statements run (so their output and Ctrl-C behave normally). It does nothing
// when the input is not a terminal.
type rawMode struct {
	fd    int
	saved *term.State
	ok    bool
}

func newRawMode(in io.Reader) *rawMode {
	f, ok := in.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return &rawMode{}
	}
	return &rawMode{fd: int(f.Fd()), ok: true}
}

func (r *rawMode) enter() {
	if r.ok && r.saved == nil {
		r.saved, _ = term.MakeRaw(r.fd)
	}
}

func (r *rawMode) leave() {
	if r.saved != nil {
		_ = term.Restore(r.fd, r.saved)
		r.saved = nil
	}
}
