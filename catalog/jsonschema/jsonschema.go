package jsonschema

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Violation is one way a value breaks the schema.
type Violation struct {
	// Path locates the value: property names joined by dots, array indexes in brackets;
	// empty for the document itself.
	Path    string
	Message string
}

func (v Violation) String() string {
	if v.Path == "" {
		return v.Message
	}
	return v.Path + ": " + v.Message
}

// Schema is a compiled schema. It is immutable and safe for concurrent use.
type Schema struct {
	root *node
	defs map[string]*node // by JSON pointer ("#/$defs/Team")
}

type node struct {
	types        []string
	properties   map[string]*node
	propOrder    []string
	required     []string
	additional   *node // nil: anything allowed
	noAdditional bool  // additionalProperties: false
	items        *node
	enum         []any
	hasConst     bool
	constVal     any
	pattern      *regexp.Regexp
	minLength    *int
	maxLength    *int
	minimum      *float64
	maximum      *float64
	exclMinimum  *float64
	exclMaximum  *float64
	minItems     *int
	maxItems     *int
	uniqueItems  bool
	format       string
	ref          string
	allOf        []*node
	anyOf        []*node
	oneOf        []*node
	not          *node
	ifNode       *node
	thenNode     *node
	elseNode     *node
	always       *bool // the boolean schemas true and false
}

var annotations = map[string]bool{
	"$schema": true, "$id": true, "title": true, "description": true, "examples": true,
	"default": true, "$comment": true, "$defs": true, "definitions": true, "deprecated": true,
	"readOnly": true, "writeOnly": true,
}

// Compile parses a JSON Schema document.
func Compile(data []byte) (*Schema, error) {
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("schema is not valid JSON: %w", err)
	}
	s := &Schema{defs: map[string]*node{}}
	top, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("schema must be an object")
	}
	for _, section := range []string{"$defs", "definitions"} {
		defs, _ := top[section].(map[string]any)
		for name, def := range defs {
			n, err := s.compile(def, "#/"+section+"/"+name)
			if err != nil {
				return nil, err
			}
			s.defs["#/"+section+"/"+name] = n
		}
	}
	root, err := s.compile(doc, "#")
	if err != nil {
		return nil, err
	}
	s.root = root
	var unresolved []string
	s.walkRefs(func(ref string) {
		if _, ok := s.defs[ref]; !ok && ref != "#" {
			unresolved = append(unresolved, ref)
		}
	})
	if len(unresolved) > 0 {
		sort.Strings(unresolved)
		return nil, fmt.Errorf("schema refers to undefined definitions: %s", strings.Join(unresolved, ", "))
	}
	return s, nil
}

// MustCompile is Compile for schemas embedded in the binary.
func MustCompile(data []byte) *Schema {
	s, err := Compile(data)
	if err != nil {
		panic(err)
	}
	return s
}

func (s *Schema) walkRefs(f func(string)) {
	seen := map[*node]bool{}
	var walk func(n *node)
	walk = func(n *node) {
		if n == nil || seen[n] {
			return
		}
		seen[n] = true
		if n.ref != "" {
			f(n.ref)
		}
		for _, c := range n.properties {
			walk(c)
		}
		for _, list := range [][]*node{n.allOf, n.anyOf, n.oneOf} {
			for _, c := range list {
				walk(c)
			}
		}
		for _, c := range []*node{n.additional, n.items, n.not, n.ifNode, n.thenNode, n.elseNode} {
			walk(c)
		}
	}
	walk(s.root)
	for _, d := range s.defs {
		walk(d)
	}
}

func (s *Schema) compile(v any, at string) (*node, error) {
	if b, ok := v.(bool); ok {
		return &node{always: &b}, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: a schema must be an object or a boolean", at)
	}
	n := &node{}
	sub := func(key string, val any) (*node, error) { return s.compile(val, at+"/"+key) }
	list := func(key string, val any) ([]*node, error) {
		arr, ok := val.([]any)
		if !ok {
			return nil, fmt.Errorf("%s/%s must be an array", at, key)
		}
		out := make([]*node, len(arr))
		for i, e := range arr {
			c, err := s.compile(e, fmt.Sprintf("%s/%s/%d", at, key, i))
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	}
	intVal := func(key string, val any) (*int, error) {
		f, ok := val.(float64)
		if !ok || f != math.Trunc(f) {
			return nil, fmt.Errorf("%s/%s must be an integer", at, key)
		}
		i := int(f)
		return &i, nil
	}
	numVal := func(key string, val any) (*float64, error) {
		f, ok := val.(float64)
		if !ok {
			return nil, fmt.Errorf("%s/%s must be a number", at, key)
		}
		return &f, nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var err error
	for _, key := range keys {
		val := m[key]
		switch key {
		case "type":
			switch t := val.(type) {
			case string:
				n.types = []string{t}
			case []any:
				for _, e := range t {
					str, _ := e.(string)
					n.types = append(n.types, str)
				}
			default:
				return nil, fmt.Errorf("%s/type must be a string or an array", at)
			}
		case "properties":
			props, ok := val.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s/properties must be an object", at)
			}
			n.properties = map[string]*node{}
			for name, p := range props {
				if n.properties[name], err = sub("properties/"+name, p); err != nil {
					return nil, err
				}
				n.propOrder = append(n.propOrder, name)
			}
			sort.Strings(n.propOrder)
		case "required":
			arr, _ := val.([]any)
			for _, e := range arr {
				str, _ := e.(string)
				n.required = append(n.required, str)
			}
		case "additionalProperties":
			if b, ok := val.(bool); ok {
				n.noAdditional = !b
				continue
			}
			if n.additional, err = sub(key, val); err != nil {
				return nil, err
			}
		case "items":
			if n.items, err = sub(key, val); err != nil {
				return nil, err
			}
		case "enum":
			arr, ok := val.([]any)
			if !ok {
				return nil, fmt.Errorf("%s/enum must be an array", at)
			}
			n.enum = arr
		case "const":
			n.hasConst, n.constVal = true, val
		case "pattern":
			str, _ := val.(string)
			if n.pattern, err = regexp.Compile(str); err != nil {
				return nil, fmt.Errorf("%s/pattern: %w", at, err)
			}
		case "minLength":
			n.minLength, err = intVal(key, val)
		case "maxLength":
			n.maxLength, err = intVal(key, val)
		case "minItems":
			n.minItems, err = intVal(key, val)
		case "maxItems":
			n.maxItems, err = intVal(key, val)
		case "minimum":
			n.minimum, err = numVal(key, val)
		case "maximum":
			n.maximum, err = numVal(key, val)
		case "exclusiveMinimum":
			n.exclMinimum, err = numVal(key, val)
		case "exclusiveMaximum":
			n.exclMaximum, err = numVal(key, val)
		case "uniqueItems":
			n.uniqueItems, _ = val.(bool)
		case "format":
			n.format, _ = val.(string)
		case "$ref":
			n.ref, _ = val.(string)
			if !strings.HasPrefix(n.ref, "#") {
				return nil, fmt.Errorf("%s/$ref %q: only references inside the schema (#/$defs/...) are supported", at, n.ref)
			}
		case "allOf":
			n.allOf, err = list(key, val)
		case "anyOf":
			n.anyOf, err = list(key, val)
		case "oneOf":
			n.oneOf, err = list(key, val)
		case "not":
			n.not, err = sub(key, val)
		case "if":
			n.ifNode, err = sub(key, val)
		case "then":
			n.thenNode, err = sub(key, val)
		case "else":
			n.elseNode, err = sub(key, val)
		default:
			if !annotations[key] {
				return nil, fmt.Errorf("%s: keyword %q is not supported by this validator", at, key)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	return n, nil
}

// Validate returns every violation of v, in document order.
func (s *Schema) Validate(v any) []Violation {
	var out []Violation
	s.validate(s.root, v, nil, &out)
	return out
}

type path []string

func (p path) String() string {
	var b strings.Builder
	for _, seg := range p {
		if strings.HasPrefix(seg, "[") {
			b.WriteString(seg)
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(seg)
	}
	return b.String()
}

func (p path) with(seg string) path {
	out := make(path, len(p)+1)
	copy(out, p)
	out[len(p)] = seg
	return out
}

func (s *Schema) validate(n *node, v any, at path, out *[]Violation) {
	bad := func(format string, args ...any) {
		*out = append(*out, Violation{Path: at.String(), Message: fmt.Sprintf(format, args...)})
	}
	if n.always != nil {
		if !*n.always {
			bad("is not allowed here")
		}
		return
	}
	if n.ref != "" {
		target := s.root
		if n.ref != "#" {
			target = s.defs[n.ref]
		}
		s.validate(target, v, at, out)
	}
	if len(n.types) > 0 && !matchesAnyType(v, n.types) {
		bad("must be %s, not %s", typeList(n.types), typeOf(v))
		return
	}
	if len(n.enum) > 0 {
		found := false
		for _, e := range n.enum {
			if equal(e, v) {
				found = true
				break
			}
		}
		if !found {
			bad("%s is not one of the allowed values: %s", render(v), renderList(n.enum))
		}
	}
	if n.hasConst && !equal(n.constVal, v) {
		bad("must be %s", render(n.constVal))
	}
	switch val := v.(type) {
	case map[string]any:
		s.validateObject(n, val, at, out)
	case []any:
		if n.minItems != nil && len(val) < *n.minItems {
			bad("needs at least %d items, has %d", *n.minItems, len(val))
		}
		if n.maxItems != nil && len(val) > *n.maxItems {
			bad("allows at most %d items, has %d", *n.maxItems, len(val))
		}
		if n.uniqueItems {
			for i := range val {
				for j := 0; j < i; j++ {
					if equal(val[i], val[j]) {
						bad("items %d and %d are equal; items must be unique", j, i)
					}
				}
			}
		}
		if n.items != nil {
			for i, e := range val {
				s.validate(n.items, e, at.with("["+strconv.Itoa(i)+"]"), out)
			}
		}
	case string:
		l := len([]rune(val))
		if n.minLength != nil && l < *n.minLength {
			if *n.minLength == 1 {
				bad("must not be empty")
			} else {
				bad("must be at least %d characters long", *n.minLength)
			}
		}
		if n.maxLength != nil && l > *n.maxLength {
			bad("must be at most %d characters long", *n.maxLength)
		}
		if n.pattern != nil && !n.pattern.MatchString(val) {
			bad("%q does not match the pattern %s", val, n.pattern)
		}
		switch n.format {
		case "date-time":
			if _, err := time.Parse(time.RFC3339, val); err != nil {
				bad("%q is not a date-time such as 2026-01-31T12:00:00Z", val)
			}
		case "date":
			if _, err := time.Parse(time.DateOnly, val); err != nil {
				bad("%q is not a date such as 2026-01-31", val)
			}
		}
	default:
		if f, ok := number(v); ok {
			if n.minimum != nil && f < *n.minimum {
				bad("must be at least %v", *n.minimum)
			}
			if n.maximum != nil && f > *n.maximum {
				bad("must be at most %v", *n.maximum)
			}
			if n.exclMinimum != nil && f <= *n.exclMinimum {
				bad("must be greater than %v", *n.exclMinimum)
			}
			if n.exclMaximum != nil && f >= *n.exclMaximum {
				bad("must be less than %v", *n.exclMaximum)
			}
		}
	}
	for _, c := range n.allOf {
		s.validate(c, v, at, out)
	}
	if len(n.anyOf) > 0 {
		if best, matched := s.bestBranch(n.anyOf, v, at); matched == 0 {
			*out = append(*out, best...)
		}
	}
	if len(n.oneOf) > 0 {
		best, matched := s.bestBranch(n.oneOf, v, at)
		switch {
		case matched == 0:
			*out = append(*out, best...)
		case matched > 1:
			bad("matches %d of the alternatives; it must match exactly one", matched)
		}
	}
	if n.not != nil {
		var sub []Violation
		s.validate(n.not, v, at, &sub)
		if len(sub) == 0 {
			bad("is not allowed here")
		}
	}
	if n.ifNode != nil {
		var cond []Violation
		s.validate(n.ifNode, v, at, &cond)
		switch {
		case len(cond) == 0 && n.thenNode != nil:
			s.validate(n.thenNode, v, at, out)
		case len(cond) > 0 && n.elseNode != nil:
			s.validate(n.elseNode, v, at, out)
		}
	}
}

// bestBranch validates v against each alternative and returns how many matched and, when
// none did, the violations of the closest one (fewest violations): that is the form the
// author most likely meant, so its problems are the useful ones to report.
func (s *Schema) bestBranch(branches []*node, v any, at path) ([]Violation, int) {
	var best []Violation
	matched := 0
	for i, b := range branches {
		var sub []Violation
		s.validate(b, v, at, &sub)
		if len(sub) == 0 {
			matched++
			continue
		}
		if i == 0 || best == nil || len(sub) < len(best) {
			best = sub
		}
	}
	return best, matched
}

func (s *Schema) validateObject(n *node, obj map[string]any, at path, out *[]Violation) {
	for _, r := range n.required {
		if _, ok := obj[r]; !ok {
			*out = append(*out, Violation{Path: at.with(r).String(), Message: "is required"})
		}
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if p, ok := n.properties[k]; ok {
			s.validate(p, obj[k], at.with(k), out)
			continue
		}
		if n.noAdditional {
			msg := "is not a property of this object"
			if len(n.propOrder) > 0 {
				if close := closestName(k, n.propOrder); close != "" {
					msg += "; did you mean " + close + "?"
				} else {
					msg += "; put extensions under customProperties"
				}
			}
			*out = append(*out, Violation{Path: at.with(k).String(), Message: msg})
			continue
		}
		if n.additional != nil {
			s.validate(n.additional, obj[k], at.with(k), out)
		}
	}
}

func matchesAnyType(v any, types []string) bool {
	for _, t := range types {
		if matchesType(v, t) {
			return true
		}
	}
	return false
}

func matchesType(v any, t string) bool {
	switch t {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "null":
		return v == nil
	case "number":
		_, ok := number(v)
		return ok
	case "integer":
		f, ok := number(v)
		return ok && f == math.Trunc(f)
	}
	return false
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint64:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

func typeOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	}
	if f, ok := number(v); ok {
		if f == math.Trunc(f) {
			return "an integer"
		}
		return "a number"
	}
	return fmt.Sprintf("%T", v)
}

func typeList(types []string) string {
	names := make([]string, len(types))
	for i, t := range types {
		switch t {
		case "object", "array", "integer":
			names[i] = "an " + t
		case "null":
			names[i] = "null"
		default:
			names[i] = "a " + t
		}
	}
	return strings.Join(names, " or ")
}

func equal(a, b any) bool {
	fa, oka := number(a)
	fb, okb := number(b)
	if oka && okb {
		return fa == fb
	}
	return reflect.DeepEqual(a, b)
}

func render(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func renderList(vs []any) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = render(v)
	}
	return strings.Join(parts, ", ")
}

// closestName suggests the property a misspelt key probably meant.
func closestName(k string, names []string) string {
	best, bestD := "", len(k)/3+1
	for _, n := range names {
		if d := distance(strings.ToLower(k), strings.ToLower(n)); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
