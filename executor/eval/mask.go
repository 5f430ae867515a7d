package eval

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

// Governance masks (DESIGN.md §4) are kernels over whole arrays: one pass per array, output
// buffers allocated once per batch. Behaviour per kind and type:
//
//   - redact: text letters become x/X (ASCII case kept, other letters x), digits 0, every
//     other character is kept. Non-text columns keep their type and become the type's zero
//     value (0, 0.0, false, 1970-01-01, the epoch, an empty bytea, a zero interval).
//   - show_first N / show_last N: text keeps its first/last N characters and redacts the
//     rest. Integer, decimal and float columns keep their type: the digits of their text form
//     outside the kept N characters become 0 (show_last 4 of 123456789 is 6789). Other types
//     are masked through their text form when the mask's type is text, else rejected.
//   - hash: lower-case hex HMAC-SHA256, keyed with Mask.Key, of the value's PostgreSQL text
//     form (bytea: its \x form); the result is text, so equal values join within a domain.
//   - null: NULL of the column's type. constant: the constant cast to the column's type, on
//     every row (NULLs included: a constant reveals nothing, not even absence).
//   - date_trunc: dates and timestamps truncated to the unit (year, month, …), type kept.
//
// Except for constant, a NULL stays NULL.

func (c *compiler) compileMask(m *expr.Mask) (node, error) {
	argT, rt := m.Arg.DataType(), m.Type
	switch m.Kind {
	case expr.MaskNull:
		return &litNode{t: rt}, nil
	case expr.MaskConstant:
		if m.Constant == nil {
			return nil, errs.New(errs.KindInvalidArgument, "constant mask of policy %q has no value", m.Policy)
		}
		l, err := FoldConstant(expr.CastTo(m.Constant, rt))
		if err != nil {
			return nil, errs.Wrap(errs.KindInvalidArgument, err, "constant mask of policy %q", m.Policy)
		}
		return &litNode{val: l.Value, t: rt}, nil
	}
	arg, err := c.compile(m.Arg)
	if err != nil {
		return nil, err
	}
	call := func(k kernel) node {
		return &callNode{name: "mask_" + string(m.Kind), args: []node{arg}, types: []arrow.DataType{argT}, t: rt,
			impl: fnImpl{strict: true, run: k}}
	}
	col := columnName(m.Arg)
	switch m.Kind {
	case expr.MaskHash:
		if len(m.Key) == 0 {
			return nil, errs.New(errs.KindInvalidArgument, "hash mask of policy %q has no key", m.Policy)
		}
		if rt.ID() != arrow.STRING {
			return nil, errs.NotSupportedf("hash mask on column %q typed %s; a hash mask produces text", col, expr.SQLTypeName(rt))
		}
		k, err := viaText(argT, hashKernel(m.Key))
		if err != nil {
			return nil, err
		}
		return call(k), nil
	case expr.MaskRedact, expr.MaskShowFirst, expr.MaskShowLast:
		if m.N < 0 {
			return nil, errs.New(errs.KindInvalidArgument, "mask of policy %q keeps a negative number of characters", m.Policy)
		}
		keep := maskKeep{kind: m.Kind, n: m.N}
		switch {
		case argT.ID() == arrow.STRING && rt.ID() == arrow.STRING:
			return call(textMaskKernel(keep, false)), nil
		case rt.ID() == arrow.STRING:
			k, err := viaText(argT, textMaskKernel(keep, false))
			if err != nil {
				return nil, err
			}
			return call(k), nil
		case !arrow.TypeEqual(argT, rt):
			return nil, errs.New(errs.KindInternal, "mask on column %q: type %s cannot become %s", col, expr.SQLTypeName(argT), expr.SQLTypeName(rt))
		case m.Kind == expr.MaskRedact:
			return call(zeroKernel(rt)), nil
		case expr.IsNumeric(argT):
			k, err := numericTextMask(argT, keep, col)
			if err != nil {
				return nil, err
			}
			return call(k), nil
		}
		return nil, errs.NotSupportedf("%s mask on column %q of type %s; use redact, date_trunc or a text-typed mask", m.Kind, col, expr.SQLTypeName(argT))
	case expr.MaskDateTrunc:
		if !arrow.TypeEqual(argT, rt) {
			return nil, errs.New(errs.KindInternal, "date_trunc mask on column %q must keep type %s", col, expr.SQLTypeName(argT))
		}
		k, err := dateTruncMaskKernel(argT, m.Unit, col)
		if err != nil {
			return nil, err
		}
		return call(k), nil
	}
	return nil, errs.NotSupportedf("mask kind %q", m.Kind)
}

// viaText runs k on the PostgreSQL text form of a non-text argument.
func viaText(argT arrow.DataType, k kernel) (kernel, error) {
	if argT.ID() == arrow.STRING {
		return k, nil
	}
	toText, err := castKernel(argT, expr.String, "")
	if err != nil {
		return nil, err
	}
	return chain(toText, k), nil
}

// chain runs kernels one after the other over a single argument.
func chain(ks ...kernel) kernel {
	return func(c *evalCtx, n int, args []vec) (vec, error) {
		cur := args[0].retained()
		for _, k := range ks {
			next, err := k(c, n, []vec{cur})
			cur.release()
			if err != nil {
				return vec{}, err
			}
			cur = next
		}
		return cur, nil
	}
}

// maskKeep describes which characters survive a redaction.
type maskKeep struct {
	kind expr.MaskKind
	n    int
}

// redactASCII maps each ASCII byte to its redacted form (256 entries: no bounds checks).
var redactASCII = func() (t [256]byte) {
	for i := range t {
		b := byte(i)
		switch {
		case 'a' <= b && b <= 'z':
			b = 'x'
		case 'A' <= b && b <= 'Z':
			b = 'X'
		case '0' <= b && b <= '9':
			b = '0'
		}
		t[i] = b
	}
	return t
}()

// redactDigitsASCII masks digits only, so numeric text stays parseable (1.5e+20, NaN).
var redactDigitsASCII = func() (t [256]byte) {
	for i := range t {
		b := byte(i)
		if '0' <= b && b <= '9' {
			b = '0'
		}
		t[i] = b
	}
	return t
}()

// textMaskKernel redacts text, keeping the first or last keep.n characters for show_*. The
// result never has more bytes than the input, so the data buffer is sized once.
func textMaskKernel(keep maskKeep, digitsOnly bool) kernel {
	table := &redactASCII
	if digitsOnly {
		table = &redactDigitsASCII
	}
	return func(c *evalCtx, n int, args []vec) (vec, error) {
		a := args[0].arr
		offs, data := binCols(a)
		var src []byte
		base := int32(0)
		if n > 0 {
			base = offs[0]
			src = data[base:offs[n]]
		}
		offBuf, outOffs := newFixed[int32](c.alloc, n+1)
		dataBuf := memory.NewResizableBuffer(c.alloc)
		dataBuf.Resize(len(src))
		out := dataBuf.Bytes()
		validity, nulls := andValidity(c.alloc, n, args[0])
		if redactASCIIBytes(out[:len(src)], src, digitsOnly, table) {
			// One character per byte: the offsets carry over and the bytes map in one pass.
			if base == 0 {
				copy(outOffs, offs)
			} else {
				for i := range outOffs {
					outOffs[i] = offs[i] - base
				}
			}
			if keep.kind != expr.MaskRedact && keep.n > 0 {
				// Put the kept characters back; a byte loop beats a memmove call for the
				// few characters masks keep.
				kn := int32(keep.n)
				first := keep.kind == expr.MaskShowFirst
				for i := 0; i < n; i++ {
					s, e := outOffs[i], outOffs[i+1]
					if e-s > kn {
						if first {
							e = s + kn
						} else {
							s = e - kn
						}
					}
					for k := s; k < e; k++ {
						out[k] = src[k]
					}
				}
			}
		} else {
			w := int32(0)
			outOffs[0] = 0
			for i := 0; i < n; i++ {
				s := src[offs[i]-base : offs[i+1]-base]
				keepFrom, keepTo := 0, 0 // character range kept verbatim
				switch keep.kind {
				case expr.MaskShowFirst:
					keepTo = keep.n
				case expr.MaskShowLast:
					total := utf8.RuneCount(s)
					keepFrom, keepTo = total-keep.n, total
				}
				ch := 0
				for j := 0; j < len(s); {
					b := s[j]
					if b < utf8.RuneSelf {
						if ch >= keepFrom && ch < keepTo {
							out[w] = b
						} else {
							out[w] = table[b]
						}
						w++
						j++
						ch++
						continue
					}
					r, size := utf8.DecodeRune(s[j:])
					switch {
					case ch >= keepFrom && ch < keepTo:
						w += int32(copy(out[w:], s[j:j+size]))
					case unicode.IsDigit(r):
						out[w] = '0'
						w++
					case !digitsOnly && unicode.IsLetter(r):
						out[w] = 'x'
						w++
					default:
						w += int32(copy(out[w:], s[j:j+size]))
					}
					j += size
					ch++
				}
				outOffs[i+1] = w
			}
			dataBuf.Resize(int(w))
		}
		return arrayVec(makeArray(expr.String, n, validity, nulls, offBuf, dataBuf)), nil
	}
}

// hashKernel computes lower-case hex HMAC-SHA256 of each text value, reusing one HMAC state.
func hashKernel(key []byte) kernel {
	return func(c *evalCtx, n int, args []vec) (vec, error) {
		a := args[0].arr
		offs, data := binCols(a)
		valid := validOf(a)
		validity, nulls := andValidity(c.alloc, n, args[0])
		offBuf, outOffs := newFixed[int32](c.alloc, n+1)
		dataBuf := memory.NewResizableBuffer(c.alloc)
		dataBuf.Resize(hex.EncodedLen(sha256.Size) * (n - nulls))
		out := dataBuf.Bytes()
		mac := hmac.New(sha256.New, key)
		var sum [sha256.Size]byte
		w := 0
		outOffs[0] = 0
		for i := 0; i < n; i++ {
			if valid.ok(i) {
				mac.Reset()
				mac.Write(data[offs[i]:offs[i+1]])
				hex.Encode(out[w:], mac.Sum(sum[:0]))
				w += hex.EncodedLen(sha256.Size)
			}
			outOffs[i+1] = int32(w)
		}
		return arrayVec(makeArray(expr.String, n, validity, nulls, offBuf, dataBuf)), nil
	}
}

// zeroKernel replaces every valid value by the type's zero value.
func zeroKernel(t arrow.DataType) kernel {
	return func(c *evalCtx, n int, args []vec) (vec, error) {
		validity, nulls := andValidity(c.alloc, n, args[0])
		switch t.ID() {
		case arrow.BOOL:
			return arrayVec(makeArray(t, n, validity, nulls, newBitmap(c.alloc, n))), nil
		case arrow.BINARY, arrow.STRING:
			offBuf, offs := newFixed[int32](c.alloc, n+1)
			clear(offs)
			return arrayVec(makeArray(t, n, validity, nulls, offBuf, memory.NewResizableBuffer(c.alloc))), nil
		}
		width := t.(arrow.FixedWidthDataType).BitWidth() / 8
		buf := memory.NewResizableBuffer(c.alloc)
		buf.Resize(n * width)
		clear(buf.Bytes())
		return arrayVec(makeArray(t, n, validity, nulls, buf)), nil
	}
}

// numericTextMask applies show_first/show_last to the digits of a number's text form and
// reads the result back as the same type.
func numericTextMask(t arrow.DataType, keep maskKeep, col string) (kernel, error) {
	toText, err := castKernel(t, expr.String, "")
	if err != nil {
		return nil, err
	}
	fromText, err := castKernel(expr.String, t, col)
	if err != nil {
		return nil, err
	}
	return chain(toText, textMaskKernel(keep, true), fromText), nil
}

// dateTruncMaskKernel truncates dates (type kept) or timestamps to unit.
func dateTruncMaskKernel(t arrow.DataType, unit, col string) (kernel, error) {
	valid := false
	for _, u := range expr.DateTruncUnits {
		valid = valid || u == unit
	}
	if !valid {
		return nil, errs.New(errs.KindInvalidArgument, "date_trunc mask on column %q: unknown unit %q", col, unit)
	}
	switch t.ID() {
	case arrow.DATE32:
		return unaryFixed(t, func(d int32) (int32, error) {
			return int32(truncDays(int64(d), unit)), nil
		}), nil
	case arrow.TIMESTAMP:
		return unaryFixed(t, func(ts int64) (int64, error) {
			return truncTimestamp(ts, unit), nil
		}), nil
	}
	return nil, errs.NotSupportedf("date_trunc mask on column %q of type %s", col, expr.SQLTypeName(t))
}

// SWAR on eight ASCII bytes per 64-bit word: adding 0x80-c to a byte below 0x80 sets its high
// bit exactly when the byte is >= c and never carries into the next byte; shifting the high
// bits down and multiplying by 0xFF widens them to byte masks.
const (
	lanesLSB = 0x0101010101010101
	lanesMSB = 0x8080808080808080
)

// redactASCIIBytes redacts ASCII text eight bytes per step (a letter keeps its case bit 0x20
// on 'X', a digit becomes '0'), the tail through table. The word steps are written out inline:
// as a function they exceed the inlining budget and the call would cost more than the work.
//
// It reports false, leaving out unspecified, if src is not all ASCII: checking as it goes saves
// a separate pass over the text.
func redactASCIIBytes(out, src []byte, digitsOnly bool, table *[256]byte) bool {
	const (
		addDigitLo = (0x80 - '0') * lanesLSB
		addDigitHi = (0x80 - '9' - 1) * lanesLSB
		addAlphaLo = (0x80 - 'a') * lanesLSB
		addAlphaHi = (0x80 - 'z' - 1) * lanesLSB
	)
	out = out[:len(src)]
	words := len(src) / 8
	i := words * 8
	if words > 0 {
		// Whole words through unaligned 64-bit views (amd64 and arm64 load them natively);
		// ranging over the views needs no bounds checks.
		in := unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(src))), words)
		dst := unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(out))), words)[:len(in)]
		var seen uint64
		if digitsOnly {
			for j, w := range in {
				seen |= w
				digit := (((w + addDigitLo) &^ (w + addDigitHi)) & lanesMSB >> 7) * 0xFF
				dst[j] = w&^digit | digit&('0'*lanesLSB)
			}
		} else {
			for j, w := range in {
				seen |= w
				folded := w | 0x20*lanesLSB
				digit := (((w + addDigitLo) &^ (w + addDigitHi)) & lanesMSB >> 7) * 0xFF
				letter := (((folded + addAlphaLo) &^ (folded + addAlphaHi)) & lanesMSB >> 7) * 0xFF
				dst[j] = w&^(letter|digit) | letter&('X'*lanesLSB|w&(0x20*lanesLSB)) | digit&('0'*lanesLSB)
			}
		}
		if seen&lanesMSB != 0 {
			return false
		}
	}
	for ; i < len(src); i++ {
		if src[i] >= utf8.RuneSelf {
			return false
		}
		out[i] = table[src[i]]
	}
	return true
}
