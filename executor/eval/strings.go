package eval

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

// Strings are measured and sliced in characters (UTF-8 code points), as PostgreSQL does in a
// UTF8 database. Kernels take a fast path when a whole batch is ASCII.

// maxStringBytes bounds results that grow from a count argument (repeat, lpad), like
// PostgreSQL's 1 GB limit on one value.
const maxStringBytes = 1 << 30

func errTooLarge(fn string) error {
	return errs.New(errs.KindInvalidArgument, "%s: requested length too large", fn)
}

// argAcc reads one argument of a row-wise kernel: text/bytea or bigint, array or scalar.
type argAcc struct {
	str   strAcc
	num   fixedAcc[int64]
	ascii bool // every value of a text argument is ASCII
}

func newArgAcc(v vec, t arrow.DataType) argAcc {
	switch t.ID() {
	case arrow.STRING, arrow.BINARY:
		a := argAcc{str: newStrAcc(v)}
		if a.str.scalar {
			a.ascii = isASCII(stringToBytes(a.str.s))
		} else if len(a.str.offs) > 0 {
			a.ascii = isASCII(a.str.data[a.str.offs[0]:a.str.offs[len(a.str.offs)-1]])
		} else {
			a.ascii = true
		}
		return a
	case arrow.INT64:
		if v.arr == nil {
			return argAcc{num: fixedAcc[int64]{s: v.val.(int64), scalar: true}}
		}
		return argAcc{num: fixedAcc[int64]{vals: fixedValues[int64](v.arr)}}
	}
	return argAcc{}
}

func (a *argAcc) s(i int) string { return a.str.at(i) }
func (a *argAcc) n(i int) int64  { return a.num.at(i) }

// isASCII reports whether b has no byte >= 0x80, 32 bytes at a time.
func isASCII(b []byte) bool {
	var acc uint64
	for len(b) >= 32 {
		acc |= binary.LittleEndian.Uint64(b) | binary.LittleEndian.Uint64(b[8:]) |
			binary.LittleEndian.Uint64(b[16:]) | binary.LittleEndian.Uint64(b[24:])
		b = b[32:]
	}
	for len(b) >= 8 {
		acc |= binary.LittleEndian.Uint64(b)
		b = b[8:]
	}
	for _, c := range b {
		acc |= uint64(c)
	}
	return acc&0x8080808080808080 == 0
}

func accsOf(args []vec, types []arrow.DataType) []argAcc {
	accs := make([]argAcc, len(args))
	for i, a := range args {
		accs[i] = newArgAcc(a, types[i])
	}
	return accs
}

// dataHint estimates the result bytes from the first argument's data.
func dataHint(args []vec) int {
	if len(args) > 0 && args[0].arr != nil {
		if offs, _ := binCols(args[0].arr); len(offs) > 0 {
			return int(offs[len(offs)-1] - offs[0])
		}
	}
	return 0
}

// textKernel builds a text (or bytea) result: fn appends the value of every row where all
// arguments are valid; the other rows are NULL.
func textKernel(types []arrow.DataType, rt arrow.DataType, fn func(o *varOut, a []argAcc, i int) error) kernel {
	return func(c *evalCtx, n int, args []vec) (vec, error) {
		accs := accsOf(args, types)
		validity, _ := andValidity(c.alloc, n, args...)
		valid := bufBits(validity)
		o := newVarOut(c.alloc, rt, n, dataHint(args))
		for i := 0; i < n; i++ {
			if !valid.ok(i) {
				o.appendNull()
				continue
			}
			if err := fn(o, accs, i); err != nil {
				o.release()
				releaseBuf(validity)
				return vec{}, err
			}
		}
		releaseBuf(validity)
		arr, err := o.finish()
		if err != nil {
			return vec{}, err
		}
		return arrayVec(arr), nil
	}
}

// fixedKernel builds a fixed-width result from fn over every valid row.
func fixedKernel[R any](types []arrow.DataType, rt arrow.DataType, fn func(a []argAcc, i int) (R, error)) kernel {
	return func(c *evalCtx, n int, args []vec) (vec, error) {
		accs := accsOf(args, types)
		validity, nulls := andValidity(c.alloc, n, args...)
		valid := bufBits(validity)
		buf, out := newFixed[R](c.alloc, n)
		var zero R
		for i := range out {
			if !valid.ok(i) {
				out[i] = zero
				continue
			}
			r, err := fn(accs, i)
			if err != nil {
				buf.Release()
				releaseBuf(validity)
				return vec{}, err
			}
			out[i] = r
		}
		return arrayVec(makeArray(rt, n, validity, nulls, buf)), nil
	}
}

// boolKernel builds a boolean result from fn over every valid row.
func boolKernel(types []arrow.DataType, fn func(a []argAcc, i int) bool) kernel {
	return func(c *evalCtx, n int, args []vec) (vec, error) {
		accs := accsOf(args, types)
		validity, nulls := andValidity(c.alloc, n, args...)
		valid := bufBits(validity)
		buf := newBitmap(c.alloc, n)
		out := buf.Bytes()
		for i := 0; i < n; i++ {
			if valid.ok(i) && fn(accs, i) {
				out[i>>3] |= 1 << (uint(i) & 7)
			}
		}
		return arrayVec(makeArray(expr.Bool, n, validity, nulls, buf)), nil
	}
}

// stringFunction binds the text functions of the registry; ok is false for other names.
func stringFunction(name string, nodes []node, params []arrow.DataType, ret arrow.DataType) (kernel, bool, error) {
	p := params
	switch name {
	case expr.FnConcatOp:
		return textKernel(p, ret, func(o *varOut, a []argAcc, i int) error {
			x, y := a[0].s(i), a[1].s(i)
			o.reserve(len(x) + len(y))
			o.data = append(append(o.data, x...), y...)
			o.endValue()
			return nil
		}), true, nil
	case "lower", "upper":
		upper := name == "upper"
		table := &lowerASCII
		if upper {
			table = &upperASCII
		}
		return textKernel(p, ret, func(o *varOut, a []argAcc, i int) error {
			s := a[0].s(i)
			if a[0].ascii {
				o.reserve(len(s))
				start := len(o.data)
				o.data = o.data[:start+len(s)]
				dst := o.data[start:]
				for j := 0; j < len(s) && j < len(dst); j++ {
					dst[j] = table[s[j]]
				}
				o.endValue()
				return nil
			}
			if upper {
				o.appendString(strings.ToUpper(s))
			} else {
				o.appendString(strings.ToLower(s))
			}
			return nil
		}), true, nil
	case "initcap":
		return textKernel(p, ret, func(o *varOut, a []argAcc, i int) error {
			s := a[0].s(i)
			// Case mapping may lengthen a character; utf8.UTFMax bytes each always suffice.
			o.reserve(utf8.UTFMax * len(s))
			wasAlnum := false
			for _, r := range s {
				if wasAlnum {
					r = unicode.ToLower(r)
				} else {
					r = unicode.ToUpper(r)
				}
				wasAlnum = unicode.IsLetter(r) || unicode.IsDigit(r)
				o.data = utf8.AppendRune(o.data, r)
			}
			o.endValue()
			return nil
		}), true, nil
	case "reverse":
		return textKernel(p, ret, func(o *varOut, a []argAcc, i int) error {
			s := a[0].s(i)
			o.reserve(len(s))
			start := len(o.data)
			o.data = o.data[:start+len(s)]
			w := len(o.data)
			for j := 0; j < len(s); {
				_, size := utf8.DecodeRuneInString(s[j:])
				w -= size
				copy(o.data[w:], s[j:j+size])
				j += size
			}
			o.endValue()
			return nil
		}), true, nil
	case "md5":
		return textKernel(p, ret, func(o *varOut, a []argAcc, i int) error {
			sum := md5.Sum(stringToBytes(a[0].s(i)))
			o.reserve(2 * len(sum))
			o.data = hex.AppendEncode(o.data, sum[:])
			o.endValue()
			return nil
		}), true, nil
	case "sha256":
		return textKernel(p, ret, func(o *varOut, a []argAcc, i int) error {
			sum := sha256.Sum256(stringToBytes(a[0].s(i)))
			o.appendBytes(sum[:])
			return nil
		}), true, nil
	case "encode":
		return encodeKernel(p, ret, nodes[1])
	case "length":
		return fixedKernel(p, ret, func(a []argAcc, i int) (int32, error) {
			s := a[0].s(i)
			if a[0].ascii {
				return int32(len(s)), nil
			}
			return int32(utf8.RuneCountInString(s)), nil
		}), true, nil
	case "octet_length":
		return fixedKernel(p, ret, func(a []argAcc, i int) (int32, error) {
			return int32(len(a[0].s(i))), nil
		}), true, nil
	case "strpos":
		return fixedKernel(p, ret, func(a []argAcc, i int) (int32, error) {
			s, sub := a[0].s(i), a[1].s(i)
			k := strings.Index(s, sub)
			if k < 0 {
				return 0, nil
			}
			if a[0].ascii {
				return int32(k + 1), nil
			}
			return int32(utf8.RuneCountInString(s[:k]) + 1), nil
		}), true, nil
	case "starts_with":
		return boolKernel(p, func(a []argAcc, i int) bool {
			return strings.HasPrefix(a[0].s(i), a[1].s(i))
		}), true, nil
	case "replace":
		return textKernel(p, ret, func(o *varOut, a []argAcc, i int) error {
			s, from, to := a[0].s(i), a[1].s(i), a[2].s(i)
			if from == "" {
				o.appendString(s)
				return nil
			}
			for {
				k := strings.Index(s, from)
				if k < 0 {
					break
				}
				o.reserve(k + len(to))
				o.data = append(append(o.data, s[:k]...), to...)
				s = s[k+len(from):]
			}
			o.reserve(len(s))
			o.data = append(o.data, s...)
			o.endValue()
			return nil
		}), true, nil
	case "substring":
		withCount := len(p) == 3
		return textKernel(p, ret, func(o *varOut, a []argAcc, i int) error {
			s, start := a[0].s(i), a[1].n(i)
			from := max(start, 1) - 1 // 0-based first character
			to := int64(-1)           // exclusive end; -1: end of string
			if withCount {
				count := a[2].n(i)
				if count < 0 {
					return errs.New(errs.KindInvalidArgument, "substring: negative substring length not allowed")
				}
				if end, ok := addI64(start, count); ok {
					to = max(end-1, 0)
				}
			}
			if to >= 0 && to <= from {
				o.appendString("")
				return nil
			}
			o.appendString(charSlice(s, a[0].ascii, from, to))
			return nil
		}), true, nil
	case "left", "right":
		right := name == "right"
		return textKernel(p, ret, func(o *varOut, a []argAcc, i int) error {
			s, k := a[0].s(i), a[1].n(i)
			total := int64(len(s))
			if !a[0].ascii {
				total = int64(utf8.RuneCountInString(s))
			}
			var from, to int64
			switch {
			case !right && k >= 0:
				from, to = 0, min(k, total)
			case !right:
				from, to = 0, max(total+k, 0)
			case k >= 0:
				from, to = max(total-k, 0), total
			default:
				from, to = min(-k, total), total
			}
			o.appendString(charSlice(s, a[0].ascii, from, to))
			return nil
		}), true, nil
	case "repeat":
		return textKernel(p, ret, func(o *varOut, a []argAcc, i int) error {
			s, k := a[0].s(i), a[1].n(i)
			if k <= 0 || s == "" {
				o.appendString("")
				return nil
			}
			if int64(len(s))*k > maxStringBytes || k > maxStringBytes {
				return errTooLarge("repeat")
			}
			o.reserve(len(s) * int(k))
			for j := int64(0); j < k; j++ {
				o.data = append(o.data, s...)
			}
			o.endValue()
			return nil
		}), true, nil
	case "lpad", "rpad":
		left := name == "lpad"
		return textKernel(p, ret, func(o *varOut, a []argAcc, i int) error {
			fill := " "
			if len(a) == 3 {
				fill = a[2].s(i)
			}
			return pad(o, a[0].s(i), a[1].n(i), fill, left, name)
		}), true, nil
	case "trim", "ltrim", "rtrim":
		lead, trail := name != "rtrim", name != "ltrim"
		return textKernel(p, ret, func(o *varOut, a []argAcc, i int) error {
			set := " "
			if len(a) == 2 {
				set = a[1].s(i)
			}
			o.appendString(trimSet(a[0].s(i), set, lead, trail))
			return nil
		}), true, nil
	case "split_part":
		return textKernel(p, ret, func(o *varOut, a []argAcc, i int) error {
			s, delim, k := a[0].s(i), a[1].s(i), a[2].n(i)
			part, err := splitPart(s, delim, k)
			if err != nil {
				return err
			}
			o.appendString(part)
			return nil
		}), true, nil
	}
	return nil, false, nil
}

func addI64(x, y int64) (int64, bool) {
	r := x + y
	return r, (x^r)&(y^r) >= 0
}

// charSlice returns characters [from, to) of s (to < 0: to the end), clamped to s.
func charSlice(s string, ascii bool, from, to int64) string {
	if ascii {
		n := int64(len(s))
		from = min(from, n)
		if to < 0 || to > n {
			to = n
		}
		return s[from:to]
	}
	var start, end = len(s), len(s)
	k := int64(0)
	for j := range s {
		if k == from {
			start = j
		}
		if to >= 0 && k == to {
			end = j
			break
		}
		k++
	}
	if start > end {
		return ""
	}
	return s[start:end]
}

// pad implements lpad/rpad: pad to n characters with fill, or truncate to n.
func pad(o *varOut, s string, n int64, fill string, left bool, fn string) error {
	if n <= 0 {
		o.appendString("")
		return nil
	}
	if n > maxStringBytes/4 {
		return errTooLarge(fn)
	}
	m := int64(utf8.RuneCountInString(s))
	if m >= n || fill == "" {
		o.appendString(charSlice(s, false, 0, min(n, m)))
		return nil
	}
	need := n - m
	fillRunes := []rune(fill)
	padding := make([]byte, 0, int(need)*len(fill)/len(fillRunes)+4)
	for k := int64(0); k < need; k++ {
		padding = utf8.AppendRune(padding, fillRunes[k%int64(len(fillRunes))])
	}
	o.reserve(len(s) + len(padding))
	if left {
		o.data = append(append(o.data, padding...), s...)
	} else {
		o.data = append(append(o.data, s...), padding...)
	}
	o.endValue()
	return nil
}

// trimSet removes the longest leading and/or trailing runs of characters from set.
func trimSet(s, set string, lead, trail bool) string {
	if set == "" {
		return s
	}
	in := func(r rune) bool { return strings.ContainsRune(set, r) }
	if lead {
		s = strings.TrimLeftFunc(s, in)
	}
	if trail {
		s = strings.TrimRightFunc(s, in)
	}
	return s
}

// splitPart returns field k (1-based; negative counts from the end, PostgreSQL 14+) of s split
// on delim.
func splitPart(s, delim string, k int64) (string, error) {
	if k == 0 {
		return "", errs.New(errs.KindInvalidArgument, "split_part: field position must not be zero")
	}
	if s == "" {
		return "", nil
	}
	if delim == "" {
		if k == 1 || k == -1 {
			return s, nil
		}
		return "", nil
	}
	if k > 0 {
		for j := int64(1); ; j++ {
			idx := strings.Index(s, delim)
			if j == k {
				if idx < 0 {
					return s, nil
				}
				return s[:idx], nil
			}
			if idx < 0 {
				return "", nil
			}
			s = s[idx+len(delim):]
		}
	}
	for j := int64(-1); ; j-- {
		idx := strings.LastIndex(s, delim)
		if j == k {
			if idx < 0 {
				return s, nil
			}
			return s[idx+len(delim):], nil
		}
		if idx < 0 {
			return "", nil
		}
		s = s[:idx]
	}
}

// encodeKernel is encode(bytea, 'hex'|'base64'|'escape').
func encodeKernel(p []arrow.DataType, ret arrow.DataType, format node) (kernel, bool, error) {
	encodeOne := func(o *varOut, b []byte, f string) error {
		switch strings.ToLower(f) {
		case "hex":
			o.reserve(2 * len(b))
			o.data = hex.AppendEncode(o.data, b)
		case "base64":
			// PostgreSQL breaks base64 output into lines of 76 characters.
			enc := base64.StdEncoding.EncodeToString(b)
			o.reserve(len(enc) + len(enc)/76)
			for len(enc) > 76 {
				o.data = append(append(o.data, enc[:76]...), '\n')
				enc = enc[76:]
			}
			o.data = append(o.data, enc...)
		case "escape":
			o.reserve(4 * len(b))
			for _, c := range b {
				switch {
				case c == '\\':
					o.data = append(o.data, '\\', '\\')
				case c == 0 || c >= 0x80:
					o.data = append(o.data, '\\', '0'+c>>6, '0'+(c>>3)&7, '0'+c&7)
				default:
					o.data = append(o.data, c)
				}
			}
		default:
			return errs.New(errs.KindInvalidArgument, "encode: unrecognized encoding; use 'hex', 'base64' or 'escape'")
		}
		o.endValue()
		return nil
	}
	if v, ok := constOf(format); ok && v != nil {
		switch strings.ToLower(v.(string)) {
		case "hex", "base64", "escape":
		default:
			return nil, true, errs.New(errs.KindInvalidArgument, "encode: unrecognized encoding; use 'hex', 'base64' or 'escape'")
		}
	}
	return textKernel(p, ret, func(o *varOut, a []argAcc, i int) error {
		return encodeOne(o, a[0].str.bytesAt(i), a[1].s(i))
	}), true, nil
}

// concatKernel is concat(...): NULL arguments are skipped; the result is never NULL.
func concatKernel(c *evalCtx, n int, args []vec) (vec, error) {
	accs := make([]strAcc, len(args))
	valids := make([]arrValid, len(args))
	hint := 0
	for k, a := range args {
		accs[k] = newStrAcc(a)
		if a.arr != nil {
			valids[k] = validOf(a.arr)
			if offs, _ := binCols(a.arr); len(offs) > 0 {
				hint += int(offs[len(offs)-1] - offs[0])
			}
		}
	}
	o := newVarOut(c.alloc, expr.String, n, hint)
	for i := 0; i < n; i++ {
		total := 0
		for k, a := range args {
			if (a.arr == nil && a.val != nil) || (a.arr != nil && valids[k].ok(i)) {
				total += len(accs[k].at(i))
			}
		}
		o.reserve(total)
		for k, a := range args {
			if (a.arr == nil && a.val != nil) || (a.arr != nil && valids[k].ok(i)) {
				o.data = append(o.data, accs[k].at(i)...)
			}
		}
		o.endValue()
	}
	arr, err := o.finish()
	if err != nil {
		return vec{}, err
	}
	return arrayVec(arr), nil
}

// lowerASCII and upperASCII map bytes for the ASCII fast paths of lower() and upper().
var lowerASCII, upperASCII = func() (lo, up [256]byte) {
	for i := range lo {
		lo[i], up[i] = byte(i), byte(i)
		if 'A' <= i && i <= 'Z' {
			lo[i] = byte(i + 'a' - 'A')
		}
		if 'a' <= i && i <= 'z' {
			up[i] = byte(i - ('a' - 'A'))
		}
	}
	return lo, up
}()
