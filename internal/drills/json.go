package drills

import (
	"bytes"
	"encoding/json"
	"reflect"
	"sync"
	"time"

	"relais/internal/profile"
)

// The JSON the package writes (reports, runs, the ambassadors' table)
// says an unknown time (a run under way has no end, a step not reached no
// start) as null, never as Go's zero time "0001-01-01T00:00:00Z"; a run's
// drill is its snapshot, with lower-case keys. The types keep time.Time
// fields, which read null back as the zero time: only writing changes.

// MarshalJSON writes r with null for its unknown times and its drill as a
// snapshot.
func (r Run) MarshalJSON() ([]byte, error) { return marshalOut(r) }

// MarshalJSON writes s with null for its unknown times.
func (s Step) MarshalJSON() ([]byte, error) { return marshalOut(s) }

// MarshalJSON writes c with null for an unknown time.
func (c CheckEvidence) MarshalJSON() ([]byte, error) { return marshalOut(c) }

// MarshalJSON writes a with null for an unknown time.
func (a Attempt) MarshalJSON() ([]byte, error) { return marshalOut(a) }

// MarshalJSON writes r with null for its unknown times.
func (r Report) MarshalJSON() ([]byte, error) { return marshalOut(r) }

// MarshalJSON writes s with null for its unknown times.
func (s ReportStep) MarshalJSON() ([]byte, error) { return marshalOut(s) }

// MarshalJSON writes r with null for an unknown time.
func (r Row) MarshalJSON() ([]byte, error) { return marshalOut(r) }

var (
	timeType     = reflect.TypeFor[time.Time]()
	drillType    = reflect.TypeFor[profile.Drill]()
	snapshotType = reflect.TypeFor[drillSnapshot]()
	outTypes     sync.Map // reflect.Type of a struct → reflect.Type of its JSON form (outType)
)

// outType is the struct type t is written as: the same fields, tags and
// order, with every time.Time a *time.Time (nil, null, when zero) and
// every profile.Drill a drillSnapshot. Its fields are t's exported ones
// (encoding/json writes no other).
func outType(t reflect.Type) reflect.Type {
	if o, ok := outTypes.Load(t); ok {
		return o.(reflect.Type)
	}
	var fields []reflect.StructField
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		out := reflect.StructField{Name: f.Name, Type: f.Type, Tag: f.Tag}
		switch f.Type {
		case timeType:
			out.Type = reflect.PointerTo(timeType)
		case drillType:
			out.Type = snapshotType
		}
		fields = append(fields, out)
	}
	o := reflect.StructOf(fields)
	outTypes.Store(t, o)
	return o
}

// marshalOut writes the struct v as outType says, without escaping HTML
// (the caller's encoder does, when it is asked to).
func marshalOut(v any) ([]byte, error) {
	in := reflect.ValueOf(v)
	out := reflect.New(outType(in.Type())).Elem()
	j := 0
	for i := range in.NumField() {
		f := in.Type().Field(i)
		if !f.IsExported() {
			continue
		}
		src, dst := in.Field(i), out.Field(j)
		j++
		switch f.Type {
		case timeType:
			if t := src.Interface().(time.Time); !t.IsZero() {
				dst.Set(reflect.ValueOf(&t))
			}
		case drillType:
			dst.Set(reflect.ValueOf(snapshotOf(src.Interface().(profile.Drill))))
		default:
			dst.Set(src)
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out.Interface()); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
