package expr

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
)

// MaskKind names a column-mask algorithm (DESIGN.md §4).
type MaskKind string

const (
	MaskRedact    MaskKind = "redact"     // letters → x/X, digits → 0, other characters kept
	MaskShowFirst MaskKind = "show_first" // keep the first N characters, redact the rest
	MaskShowLast  MaskKind = "show_last"  // keep the last N characters, redact the rest
	MaskHash      MaskKind = "hash"       // hex HMAC-SHA256 with the domain's key
	MaskNull      MaskKind = "null"       // NULL of the column's type
	MaskDateTrunc MaskKind = "date_trunc" // truncate a date/timestamp to Unit (year|month)
	MaskConstant  MaskKind = "constant"   // a fixed value of the column's type
)

// Mask applies a governance column mask to Arg. It is a distinct node, not a Call, so rules can
// recognise masked values and never push a predicate on them as one on the raw column, and so
// String never prints the hash key.
type Mask struct {
	Arg      Expr
	Kind     MaskKind
	N        int      // characters kept for show_first / show_last
	Unit     string   // year|month for date_trunc
	Constant *Literal // value for constant
	Key      []byte   // HMAC key for hash; never printed or logged
	Policy   string   // name of the policy that asked for the mask
	Type     arrow.DataType
}

func (m *Mask) DataType() arrow.DataType { return m.Type }
func (m *Mask) Children() []Expr         { return []Expr{m.Arg} }
func (m *Mask) WithChildren(ch []Expr) Expr {
	cp := *m
	cp.Arg = ch[0]
	return &cp
}
func (m *Mask) String() string {
	switch m.Kind {
	case MaskShowFirst, MaskShowLast:
		return fmt.Sprintf("mask_%s(%s, %d)", m.Kind, m.Arg, m.N)
	case MaskDateTrunc:
		return fmt.Sprintf("mask_date_trunc(%s, '%s')", m.Arg, m.Unit)
	case MaskConstant:
		return fmt.Sprintf("mask_constant(%s, %s)", m.Arg, m.Constant)
	}
	// hash deliberately omits its key.
	return fmt.Sprintf("mask_%s(%s)", m.Kind, m.Arg)
}
