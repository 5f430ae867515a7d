package parse

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"
)

// reflectNodes counts every Node reachable from v through exported fields, independently of
// Walk's hand-written traversal.
func reflectNodes(v reflect.Value, count map[string]int) {
	switch v.Kind() {
	case reflect.Interface:
		if !v.IsNil() {
			reflectNodes(v.Elem(), count)
		}
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		if _, ok := v.Interface().(Node); ok {
			count[v.Type().String()]++
		}
		reflectNodes(v.Elem(), count)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			reflectNodes(v.Field(i), count)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			reflectNodes(v.Index(i), count)
		}
	}
}

// TestWalkVisitsEveryNode compares Walk with a reflective traversal on every test query, so a
// field added to the AST but forgotten in Walk fails here.
func TestWalkVisitsEveryNode(t *testing.T) {
	queries := scriptSQL(t)
	for _, q := range tpchQueries(t) {
		queries = append(queries, q)
	}
	checked := 0
	for _, sql := range queries {
		parsed, err := Parse(sql)
		if err != nil {
			continue
		}
		want := map[string]int{}
		reflectNodes(reflect.ValueOf(parsed.Stmt), want)
		got := map[string]int{}
		Walk(parsed.Stmt, func(n Node) bool {
			got[reflect.TypeOf(n).String()]++
			return true
		})
		require.Equal(t, want, got, sql)
		checked++
	}
	require.Greater(t, checked, 100)
}

func TestWalkSkipsChildren(t *testing.T) {
	parsed, err := Parse("SELECT (SELECT max(x) FROM u) + 1 FROM t WHERE EXISTS (SELECT 1 FROM v)")
	require.NoError(t, err)
	var tables []string
	Walk(parsed.Stmt, func(n Node) bool {
		switch n := n.(type) {
		case *TableName:
			tables = append(tables, n.Parts[0])
		case *ScalarSubquery, *Exists:
			return false // stay in the outer query
		}
		return true
	})
	require.Equal(t, []string{"t"}, tables)
}
