package profile

import (
	"bytes"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2/unstable"
)

// positions knows where every key and value of a document is, by path, and which keys the
// schema does not have. The decoder only fills structs, so without this pass over the syntax
// tree a semantic error could not name its line, and a missing key could not be told from
// an empty one.
//
// The walk follows the Go types of Profile: it stops at the first key the schema does not
// know, so a hostile file full of unknown or absurdly deep keys costs time in proportion to
// its size, never more.
type positions struct {
	lineStarts []int                    // byte offset at which each line begins
	offsets    map[string]int           // path → byte offset of its key (array elements: of the value)
	at         map[int]string           // byte offset → most specific path starting there
	kinds      map[string]unstable.Kind // path → kind of the value written there
	unknown    []unknownKey             // keys outside the schema, in document order
	syntax     error                    // the parser's error, if the document is not TOML

	fields map[reflect.Type]map[string]reflect.Type // TOML key → field type, per struct, memoised for the walk
}

type unknownKey struct {
	path string
	off  int
}

var (
	profileType = reflect.TypeOf(Profile{})
	timeType    = reflect.TypeOf(time.Time{})
)

func indexPositions(data []byte) *positions {
	lineStarts := make([]int, 1, bytes.Count(data, []byte{'\n'})+1)
	for i, c := range data {
		if c == '\n' {
			lineStarts = append(lineStarts, i+1)
		}
	}
	// A profile has about one key per line: sizing the maps for that saves rehashing them
	// a dozen times on a large profile. The cap keeps a file of blank lines from reserving
	// memory for keys it does not have.
	n := min(len(lineStarts), 1<<15)
	ps := &positions{
		lineStarts: lineStarts,
		offsets:    make(map[string]int, n),
		at:         make(map[int]string, n),
		kinds:      make(map[string]unstable.Kind, n),
		fields:     make(map[reflect.Type]map[string]reflect.Type),
	}

	var p unstable.Parser
	p.Reset(data)
	// counts holds, for each array of tables (by its indexed path), how many elements have
	// been opened so far, so that the third [[apps]] is apps[2] and a [[apps.checks]] below
	// it belongs to apps[2].
	counts := make(map[string]int)
	table, tableType := "", profileType
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table:
			parts, off := keyParts(e)
			table, tableType = ps.resolve(parts, off, counts)
			if tableType != nil {
				ps.record(table, off)
				ps.at[off] = table
			}
		case unstable.ArrayTable:
			parts, off := keyParts(e)
			table, tableType = "", nil
			if len(parts) == 0 {
				continue
			}
			parent, pt := ps.resolve(parts[:len(parts)-1], off, counts)
			last := parts[len(parts)-1]
			child := ps.child(pt, parent, last, off)
			elem := elemType(child)
			if elem == nil {
				continue
			}
			arr := join(parent, last)
			n := counts[arr]
			counts[arr] = n + 1
			table, tableType = index(arr, n), elem
			ps.record(arr, off)
			ps.record(table, off)
			ps.at[off] = arr
		case unstable.KeyValue:
			ps.keyValue(table, tableType, e)
		}
	}
	ps.syntax = p.Error()
	return ps
}

// keyParts returns the parts of a table header's key and the offset of its first part.
func keyParts(n *unstable.Node) ([]string, int) {
	var parts []string
	off := -1
	it := n.Key()
	for it.Next() {
		k := it.Node()
		if off < 0 {
			off = int(k.Raw.Offset)
		}
		parts = append(parts, string(k.Data))
	}
	return parts, max(off, 0)
}

// resolve turns the parts of a table header into an indexed path and its Go type: a part
// naming an array of tables designates its last element, as TOML says. The type is nil
// when the path leaves the schema.
func (ps *positions) resolve(parts []string, off int, counts map[string]int) (string, reflect.Type) {
	path, t := "", profileType
	for _, part := range parts {
		t = ps.child(t, path, part, off)
		if t == nil {
			return "", nil
		}
		path = join(path, part)
		if n := counts[path]; n > 0 {
			path = index(path, n-1)
			t = elemType(t)
		}
	}
	return path, t
}

// child returns the type of key in a value of type t, or nil. A key a struct of the schema
// does not have is recorded as unknown; a key below a scalar is left to the decoder, which
// reports the type error.
func (ps *positions) child(t reflect.Type, path, key string, off int) reflect.Type {
	if t == nil {
		return nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == timeType {
		return nil
	}
	fields, ok := ps.fields[t]
	if !ok {
		fields = make(map[string]reflect.Type, t.NumField())
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if name, _, _ := strings.Cut(f.Tag.Get("toml"), ","); name != "" && name != "-" {
				fields[name] = f.Type
			}
		}
		ps.fields[t] = fields
	}
	if ft, ok := fields[key]; ok {
		return ft
	}
	u := unknownKey{path: join(path, key), off: off}
	ps.unknown = append(ps.unknown, u)
	ps.at[off] = u.path // so that go-toml's report of the same key maps to the same path
	return nil
}

// elemType is the element type of an array in the schema, or nil.
func elemType(t reflect.Type) reflect.Type {
	if t == nil || t.Kind() != reflect.Slice {
		return nil
	}
	return t.Elem()
}

func (ps *positions) keyValue(table string, t reflect.Type, e *unstable.Node) {
	if t == nil {
		return
	}
	path, off := table, -1
	it := e.Key()
	for it.Next() {
		k := it.Node()
		if off < 0 {
			off = int(k.Raw.Offset)
		}
		if t = ps.child(t, path, string(k.Data), off); t == nil {
			return
		}
		path = join(path, string(k.Data))
		ps.record(path, off)
	}
	ps.at[off] = path
	ps.value(path, t, e.Value(), off)
}

// value records the kind of a value and walks into inline tables and arrays the schema
// expects there.
func (ps *positions) value(path string, t reflect.Type, v *unstable.Node, keyOff int) {
	if v == nil {
		return
	}
	ps.kinds[path] = v.Kind
	if v.Raw.Length > 0 {
		if _, taken := ps.at[int(v.Raw.Offset)]; !taken {
			ps.at[int(v.Raw.Offset)] = path
		}
	}
	switch v.Kind {
	case unstable.InlineTable:
		it := v.Children()
		for it.Next() {
			if kv := it.Node(); kv.Kind == unstable.KeyValue {
				ps.keyValue(path, t, kv)
			}
		}
	case unstable.Array:
		et := elemType(t)
		if et == nil {
			return
		}
		it := v.Children()
		for i := 0; it.Next(); i++ {
			elem := it.Node()
			ep := index(path, i)
			ps.record(ep, valueOffset(elem, keyOff))
			ps.value(ep, et, elem, keyOff)
		}
	}
}

// valueOffset is where a value starts; the parser leaves arrays without a range, so their
// first element stands in, and failing that the key.
func valueOffset(v *unstable.Node, fallback int) int {
	for v != nil && v.Valid() {
		if v.Raw.Length > 0 {
			return int(v.Raw.Offset)
		}
		if v.Kind == unstable.KeyValue {
			_, off := keyParts(v)
			return off
		}
		v = v.Child()
	}
	return fallback
}

func (ps *positions) record(path string, off int) {
	if _, ok := ps.offsets[path]; !ok {
		ps.offsets[path] = off
	}
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// has reports whether the document wrote path.
func (ps *positions) has(path string) bool {
	_, ok := ps.offsets[path]
	return ok
}

// kind returns the kind of value written at path (Invalid when absent).
func (ps *positions) kind(path string) unstable.Kind {
	return ps.kinds[path]
}

// line returns the line of path, or of its nearest written ancestor (a missing required key
// is reported where its table starts), or 1.
func (ps *positions) line(path string) int {
	for path != "" {
		if off, ok := ps.offsets[path]; ok {
			return ps.lineAt(off)
		}
		path = parent(path)
	}
	return 1
}

// parent strips the last segment of a path: apps[2].checks[0] → apps[2].checks → apps[2].
func parent(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i <= 0 {
		return ""
	}
	return path[:i]
}

// lineAt returns the 1-based line of a byte offset.
func (ps *positions) lineAt(off int) int {
	return sort.Search(len(ps.lineStarts), func(i int) bool { return ps.lineStarts[i] > off })
}

// offsetOf returns the byte offset of a 1-based line and column, as the decoder reports
// them.
func (ps *positions) offsetOf(line, col int) int {
	if line < 1 || line > len(ps.lineStarts) {
		return -1
	}
	return ps.lineStarts[line-1] + col - 1
}

// pathFor finds the path the decoder meant by a position and an unindexed key
// (["apps", "checks", "colour"]): first the exact position, then the last written path
// before it whose key matches, so that apps[1].checks[0].colour comes out with its indices.
func (ps *positions) pathFor(line, col int, key []string) string {
	off := ps.offsetOf(line, col)
	if p, ok := ps.at[off]; ok {
		return p
	}
	want := strings.Join(key, ".")
	best, bestOff := "", -1
	for p, o := range ps.offsets {
		if o > off || o < bestOff || stripIndices(p) != want {
			continue
		}
		// Ties (a key and its first element on one line) go to the longest path, then to
		// the smallest, so that map order cannot change the answer.
		if o > bestOff || len(p) > len(best) || (len(p) == len(best) && p < best) {
			best, bestOff = p, o
		}
	}
	if best != "" {
		return best
	}
	return want
}

// stripIndices removes array indices: apps[1].checks[0].id → apps.checks.id.
func stripIndices(path string) string {
	if !strings.Contains(path, "[") {
		return path
	}
	var b strings.Builder
	skip := false
	for _, r := range path {
		switch {
		case r == '[':
			skip = true
		case r == ']':
			skip = false
		case !skip:
			b.WriteRune(r)
		}
	}
	return b.String()
}
