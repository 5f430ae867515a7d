package jsonschema_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/catalog/jsonschema"
)

const testSchema = `{
  "$schema": "https://json-schema.org/draft/2019-09/schema",
  "type": "object",
  "required": ["id", "kind"],
  "additionalProperties": false,
  "properties": {
    "id": {"type": "string", "minLength": 1},
    "kind": {"type": "string", "enum": ["DataContract"]},
    "version": {"type": "string", "pattern": "^[0-9]+\\.[0-9]+\\.[0-9]+$"},
    "created": {"type": "string", "format": "date-time"},
    "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": true},
    "team": {"type": "array", "items": {"$ref": "#/$defs/Member"}},
    "value": {"anyOf": [{"type": "string"}, {"type": "number"}]},
    "one": {"oneOf": [{"type": "integer"}, {"type": "number", "minimum": 10}]},
    "quality": {"type": "array", "items": {"$ref": "#/$defs/Quality"}},
    "nested": {"$ref": "#/$defs/Node"}
  },
  "$defs": {
    "Member": {
      "type": "object", "required": ["username"],
      "properties": {"username": {"type": "string"}, "role": {"type": "string"}},
      "additionalProperties": false
    },
    "Quality": {
      "type": "object",
      "properties": {"type": {"type": "string", "enum": ["library", "sql"]}, "rule": {"type": "string"}, "query": {"type": "string"}},
      "allOf": [
        {"if": {"properties": {"type": {"const": "sql"}}, "required": ["type"]}, "then": {"required": ["query"]}, "else": {"required": ["rule"]}}
      ]
    },
    "Node": {"type": "object", "properties": {"child": {"$ref": "#/$defs/Node"}, "n": {"type": "integer", "maximum": 3}}}
  }
}`

func TestValidate(t *testing.T) {
	s, err := jsonschema.Compile([]byte(testSchema))
	require.NoError(t, err)
	tests := []struct {
		name string
		doc  string
		want []string
	}{
		{"valid", `{"id": "x", "kind": "DataContract", "version": "1.0.0", "tags": ["a", "b"], "team": [{"username": "u"}], "value": 3, "one": 5, "created": "2026-01-02T03:04:05Z"}`, nil},
		{"missing required", `{}`, []string{"id: is required", "kind: is required"}},
		{"wrong type and enum", `{"id": 3, "kind": "Contract"}`, []string{`id: must be a string, not an integer`, `kind: "Contract" is not one of the allowed values: "DataContract"`}},
		{"unknown property with suggestion", `{"id": "x", "kind": "DataContract", "verison": "1"}`, []string{"verison: is not a property of this object; did you mean version?"}},
		{"pattern, format, empty string", `{"id": "", "kind": "DataContract", "version": "one", "created": "yesterday"}`, []string{
			`created: "yesterday" is not a date-time such as 2026-01-31T12:00:00Z`, "id: must not be empty", `version: "one" does not match the pattern ^[0-9]+\.[0-9]+\.[0-9]+$`}},
		{"array items with paths", `{"id": "x", "kind": "DataContract", "team": [{"username": "a"}, {"rol": "owner", "nme": 1}], "tags": ["a", "a"]}`, []string{
			"tags: items 0 and 1 are equal; items must be unique", "team[1].username: is required", "team[1].rol: is not a property of this object; did you mean role?",
			"team[1].nme: is not a property of this object; put extensions under customProperties"}},
		{"anyOf reports the closest branch", `{"id": "x", "kind": "DataContract", "value": true}`, []string{"value: must be a string, not a boolean"}},
		{"oneOf matching two", `{"id": "x", "kind": "DataContract", "one": 12}`, []string{"one: matches 2 of the alternatives; it must match exactly one"}},
		{"if then else", `{"id": "x", "kind": "DataContract", "quality": [{"type": "sql"}, {"type": "library"}, {"type": "sql", "query": "SELECT 1"}]}`, []string{
			"quality[0].query: is required", "quality[1].rule: is required"}},
		{"recursive reference", `{"id": "x", "kind": "DataContract", "nested": {"child": {"child": {"n": 4}}}}`, []string{"nested.child.child.n: must be at most 3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc any
			require.NoError(t, json.Unmarshal([]byte(tt.doc), &doc))
			var got []string
			for _, v := range s.Validate(doc) {
				got = append(got, v.String())
			}
			require.ElementsMatch(t, tt.want, got)
		})
	}
}

func TestCompileRejectsWhatItCannotCheck(t *testing.T) {
	tests := []struct{ name, schema, want string }{
		{"unknown keyword", `{"type": "object", "patternProperties": {}}`, `keyword "patternProperties" is not supported`},
		{"remote reference", `{"$ref": "https://example.com/s.json"}`, "only references inside the schema"},
		{"undefined definition", `{"$ref": "#/$defs/Nope"}`, "undefined definitions: #/$defs/Nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := jsonschema.Compile([]byte(tt.schema))
			require.ErrorContains(t, err, tt.want)
		})
	}
}
