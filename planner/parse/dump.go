package parse

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// dumpWidth is the line length up to which Dump keeps a node on one line.
const dumpWidth = 100

// Dump renders an AST value (a Statement, TableExpr, Expr or any struct of this package) as a
// compact tree for golden files and debugging. Each node prints as Type@Pos{Field: value, …}
// with zero-valued fields left out; a node that does not fit on one line is broken into one
// field per line. Pos -1 prints as @?.
func Dump(v any) string {
	return dumper{positions: true}.render(reflect.ValueOf(v), 0, 0)
}

// dumpShape is Dump without positions, for comparing the shapes of two trees.
func dumpShape(v any) string {
	return dumper{positions: false}.render(reflect.ValueOf(v), 0, 0)
}

type dumper struct {
	positions bool
}

// render writes v, which starts at column col of a line indented for nesting level level.
func (d dumper) render(v reflect.Value, level, col int) string {
	flat := d.flat(v)
	if col+len(flat) <= dumpWidth {
		return flat
	}
	v = derefValue(v)
	inner := strings.Repeat("  ", level+1)
	outer := strings.Repeat("  ", level)
	var b strings.Builder
	switch v.Kind() {
	case reflect.Struct:
		b.WriteString(d.header(v) + "{\n")
		for _, f := range d.fields(v) {
			prefix := inner + f.name + ": "
			b.WriteString(prefix + d.render(f.value, level+1, len(prefix)) + "\n")
		}
		b.WriteString(outer + "}")
	case reflect.Slice:
		b.WriteString("[\n")
		for i := 0; i < v.Len(); i++ {
			b.WriteString(inner + d.render(v.Index(i), level+1, len(inner)) + "\n")
		}
		b.WriteString(outer + "]")
	default:
		return flat
	}
	return b.String()
}

// flat renders v on one line.
func (d dumper) flat(v reflect.Value) string {
	if !v.IsValid() || ((v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) && v.IsNil()) {
		return "nil"
	}
	if v.Kind() == reflect.Pointer && v.Elem().Kind() == reflect.Bool {
		return strconv.FormatBool(v.Elem().Bool())
	}
	v = derefValue(v)
	switch v.Kind() {
	case reflect.Struct:
		fields := d.fields(v)
		parts := make([]string, len(fields))
		for i, f := range fields {
			parts[i] = f.name + ": " + d.flat(f.value)
		}
		return d.header(v) + "{" + strings.Join(parts, ", ") + "}"
	case reflect.Slice:
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = d.flat(v.Index(i))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case reflect.String:
		return strconv.Quote(v.String())
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Int, reflect.Int64, reflect.Int32:
		if s, ok := v.Interface().(fmt.Stringer); ok {
			return s.String()
		}
		return strconv.FormatInt(v.Int(), 10)
	}
	return fmt.Sprint(v.Interface())
}

// header is the type name plus @Pos when the struct has a position.
func (d dumper) header(v reflect.Value) string {
	name := v.Type().Name()
	pos := v.FieldByName("Pos")
	if !d.positions || !pos.IsValid() {
		return name
	}
	if pos.Int() < 0 {
		return name + "@?"
	}
	return name + "@" + strconv.FormatInt(pos.Int(), 10)
}

type dumpField struct {
	name  string
	value reflect.Value
}

// fields lists the fields of struct v except Pos, in declaration order, leaving out zero
// values except a literal's Value (IntegerLit{Value: 0} must not read as IntegerLit{}).
func (d dumper) fields(v reflect.Value) []dumpField {
	var out []dumpField
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		if !f.IsExported() || f.Name == "Pos" || (v.Field(i).IsZero() && f.Name != "Value") {
			continue
		}
		out = append(out, dumpField{name: f.Name, value: v.Field(i)})
	}
	return out
}

func derefValue(v reflect.Value) reflect.Value {
	for v.IsValid() && (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) && !v.IsNil() {
		v = v.Elem()
	}
	return v
}
