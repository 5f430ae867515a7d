package client

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
)

// historyLimit bounds the lines kept in memory and, after a rewrite, in the file.
const historyLimit = 1000

// DefaultHistoryFile is ~/.meshgate_history, or "" when the home directory is unknown.
func DefaultHistoryFile() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".meshgate_history")
}

// fileHistory is a term.History persisted one line per entry. Failing to read or write the
// file only loses history; it never stops the shell.
type fileHistory struct {
	path    string
	entries []string // oldest first
}

func loadHistory(path string) *fileHistory {
	h := &fileHistory{path: path}
	f, err := os.Open(path)
	if err != nil {
		return h
	}
	in := bufio.NewScanner(f)
	in.Buffer(make([]byte, 64<<10), 1<<20)
	for in.Scan() {
		if line := in.Text(); line != "" {
			h.entries = append(h.entries, line)
		}
	}
	_ = f.Close()
	if len(h.entries) > historyLimit {
		h.entries = h.entries[len(h.entries)-historyLimit:]
		// Keep the file from growing without bound.
		_ = os.WriteFile(path, []byte(strings.Join(h.entries, "\n")+"\n"), 0o600)
	}
	return h
}

func (h *fileHistory) Add(entry string) {
	if strings.TrimSpace(entry) == "" || (len(h.entries) > 0 && h.entries[len(h.entries)-1] == entry) {
		return
	}
	h.entries = append(h.entries, entry)
	if len(h.entries) > historyLimit {
		h.entries = h.entries[1:]
	}
	f, err := os.OpenFile(h.path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return
	}
	_, _ = f.WriteString(entry + "\n")
	_ = f.Close()
}

func (h *fileHistory) Len() int { return len(h.entries) }

// At returns entry idx counting back from the most recent (0).
func (h *fileHistory) At(idx int) string { return h.entries[len(h.entries)-1-idx] }
