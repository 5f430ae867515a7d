package catalog

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/meshgate/meshgate/catalog/jsonschema"
	"github.com/meshgate/meshgate/internal/errs"
)

//go:embed schemas/odcs-json-schema-v3.0.2.json
var schemaFiles embed.FS

// odcsSchema is compiled once: it is immutable and the embedded file cannot change at run
// time, so this is a constant, not mutable state.
var odcsSchema = func() *jsonschema.Schema {
	data, err := schemaFiles.ReadFile("schemas/odcs-json-schema-v3.0.2.json")
	if err != nil {
		panic(err) // embedded at build time
	}
	return jsonschema.MustCompile(data)
}()

// SyntaxError is a contract that is not valid YAML or JSON. It names the line and column.
type SyntaxError struct {
	Line, Column int
	Msg          string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("the contract is not valid YAML or JSON: line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// ErrorKind makes a syntax error a bad request (400).
func (e *SyntaxError) ErrorKind() errs.Kind { return errs.KindInvalidArgument }

// Document is a parsed contract: the typed contract and the generic tree it came from
// (what the ODCS JSON schema validates).
type Document struct {
	Contract *Contract
	Tree     any
}

var yamlLineRe = regexp.MustCompile(`line (\d+): (.*)`)

// ParseDocument decodes an ODCS v3 contract written in YAML or JSON. Syntax errors are a
// *SyntaxError with line and column; values of the wrong type are reported by Validate.
func ParseDocument(data []byte) (*Document, error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, &SyntaxError{Line: 1, Column: 1, Msg: "the document is empty; send an ODCS v3 contract"}
	}
	if trimmed[0] == '{' {
		var probe any
		if err := json.Unmarshal(data, &probe); err != nil {
			line, col := 1, 1
			var se *json.SyntaxError
			var te *json.UnmarshalTypeError
			off := int64(-1)
			switch {
			case errors.As(err, &se):
				off = max(se.Offset-1, 0) // Offset counts the offending byte

			case errors.As(err, &te):
				off = te.Offset
			}
			if off >= 0 {
				line, col = lineColumn(data, int(off))
			}
			return nil, &SyntaxError{Line: line, Column: col, Msg: strings.TrimPrefix(err.Error(), "json: ")}
		}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlSyntaxError(data, err)
	}
	var tree any
	if err := root.Decode(&tree); err != nil {
		return nil, yamlSyntaxError(data, err)
	}
	tree = normalizeTree(tree)
	if _, ok := tree.(map[string]any); !ok {
		return nil, &SyntaxError{Line: 1, Column: 1, Msg: "the document must be a mapping (apiVersion, kind, id, ...), not a " + treeType(tree)}
	}
	var c Contract
	// Type errors (a list where a string belongs) are left to the schema validation, which
	// reports them with their paths; decoding keeps what it can.
	_ = root.Decode(&c)
	return &Document{Contract: &c, Tree: tree}, nil
}

// ParseContract decodes an ODCS v3 YAML or JSON document.
func ParseContract(data []byte) (*Contract, error) {
	d, err := ParseDocument(data)
	if err != nil {
		return nil, err
	}
	return d.Contract, nil
}

// Validate checks the document against the embedded ODCS v3.0.2 JSON schema and what
// meshgate needs to serve it, and returns the product. Every problem is reported, each
// with its path in the document.
func (d *Document) Validate() (*Product, error) {
	var problems []string
	for _, v := range odcsSchema.Validate(d.Tree) {
		problems = append(problems, v.String())
	}
	p, err := d.Contract.ToProduct()
	if err != nil {
		var v *ValidationError
		if !errors.As(err, &v) {
			return nil, err
		}
		for _, pr := range v.Problems {
			if !contains(problems, pr) {
				problems = append(problems, pr)
			}
		}
	}
	if len(problems) > 0 {
		subject := "contract"
		if d.Contract.Domain != "" {
			subject += " " + d.Contract.Domain + "." + firstNonEmpty(d.Contract.DataProduct, d.Contract.Name)
		}
		return nil, &ValidationError{Subject: subject, Problems: problems}
	}
	return p, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func firstNonEmpty(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}

// yamlSyntaxError turns a yaml.v3 error into a SyntaxError. yaml.v3 reports the line only;
// the column is the first non-blank character of that line, where the offending token
// starts in the usual cases (bad indentation, a stray mapping value, a tab).
func yamlSyntaxError(data []byte, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if te, ok := err.(*yaml.TypeError); ok && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	m := yamlLineRe.FindStringSubmatch(msg)
	if m == nil {
		return &SyntaxError{Line: 1, Column: 1, Msg: msg}
	}
	line, _ := strconv.Atoi(m[1])
	lines := strings.Split(string(data), "\n")
	col := 1
	if line >= 1 && line <= len(lines) {
		text := lines[line-1]
		if i := strings.IndexByte(text, '\t'); i >= 0 && strings.Contains(m[2], "cannot start any token") {
			col = i + 1
		} else {
			col = len(text) - len(strings.TrimLeft(text, " \t")) + 1
		}
	}
	return &SyntaxError{Line: line, Column: col, Msg: m[2]}
}

func lineColumn(data []byte, off int) (int, int) {
	if off > len(data) {
		off = len(data)
	}
	line, col := 1, 1
	for _, b := range data[:off] {
		if b == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

// normalizeTree makes a YAML-decoded tree look like decoded JSON: string map keys and
// timestamps as RFC 3339 strings.
func normalizeTree(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = normalizeTree(x)
		}
		return t
	case map[any]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[fmt.Sprint(k)] = normalizeTree(x)
		}
		return out
	case []any:
		for i, x := range t {
			t[i] = normalizeTree(x)
		}
		return t
	case time.Time:
		return t.Format(time.RFC3339)
	}
	return v
}

func treeType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "list"
	case string:
		return "string"
	}
	return "scalar"
}

// MarshalContract renders a contract as JSON (how it is stored and returned).
func MarshalContract(c *Contract) (json.RawMessage, error) {
	return json.Marshal(c)
}

// SchemaProblems returns the document's violations of the ODCS v3 JSON schema, each with
// its path.
func (d *Document) SchemaProblems() []string {
	var out []string
	for _, v := range odcsSchema.Validate(d.Tree) {
		out = append(out, v.String())
	}
	return out
}
