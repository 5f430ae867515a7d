// Package jsonschema validates decoded JSON/YAML values against a JSON Schema (draft
// 2019-09 / 2020-12 spelling) restricted to the keywords the ODCS v3 schema uses: type,
// properties, required, additionalProperties, items, enum, const, pattern, minLength,
// maxLength, minimum, maximum, exclusiveMinimum, exclusiveMaximum, minItems, maxItems,
// uniqueItems, format (date-time and date only), $ref to local definitions ($defs or
// definitions), allOf, anyOf, oneOf, not and if/then/else. Annotations (title,
// description, examples, default, $comment) are ignored; any other keyword makes Compile
// fail, so a schema never silently validates less than it says.
//
// Values are what encoding/json or a YAML decoder produce: map[string]any, []any, string,
// bool, nil, and numbers as float64, int, int64 or json.Number. Every violation carries the
// path of the offending value (`schema[0].properties[2].logicalType`), so callers can
// report them all at once.
//
// The package has no meshgate dependency.
package jsonschema
