package v1alpha1

import (
	"math/rand/v2"
	"reflect"
	"testing"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/randfill"
)

// TestSpecSame holds Same equal to equality.Semantic.DeepEqual: random specs,
// and copies of them with one value changed — every string, bool, list and
// pointer the spec reaches, found by reflection, so a field added to the
// types is changed here too and fails the test until Same compares it.
func TestSpecSame(t *testing.T) {
	fill := randfill.NewWithSeed(15).NilChance(0.25).NumElements(0, 3)
	rnd := rand.New(rand.NewPCG(15, 16))
	differed := map[string]bool{} // field paths whose change made a difference
	paths := map[string]bool{}
	for range 3000 {
		a := &EffectivePermissionSpec{}
		fill.Fill(a)
		b := a.DeepCopy()
		if shallow := *a; !a.Same(b) || !a.Same(&shallow) {
			t.Fatalf("a spec is not the same as its copy: %+v", a)
		}
		var leaves []leaf
		collect(reflect.ValueOf(b).Elem(), "spec", &leaves)
		l := leaves[rnd.IntN(len(leaves))]
		paths[l.path] = true
		l.change(rnd)
		want := apiequality.Semantic.DeepEqual(*a, *b)
		if got := a.Same(b); got != want {
			t.Fatalf("changing %s: Same says %v, equality.Semantic.DeepEqual %v\na: %+v\nb: %+v", l.path, got, want, a, b)
		}
		if got := b.Same(a); got != want {
			t.Fatalf("changing %s: Same is not symmetric", l.path)
		}
		if !want {
			differed[l.path] = true
		}
	}
	// Every field was reached and changed to something different.
	var fields []string
	fieldPaths(reflect.TypeFor[EffectivePermissionSpec](), "spec", &fields)
	for _, p := range fields {
		if !differed[p] {
			t.Errorf("no change to %s was tried (reached: %v)", p, paths[p])
		}
	}
	if !(&EffectivePermissionSpec{Capabilities: []string{}}).Same(&EffectivePermissionSpec{}) {
		t.Error("an empty list and a nil one differ")
	}
	if (*EffectivePermissionSpec)(nil).Same(&EffectivePermissionSpec{}) || !(*EffectivePermissionSpec)(nil).Same(nil) {
		t.Error("nil specs")
	}
}

// leaf is one value of a spec that can be changed in place.
type leaf struct {
	path string
	v    reflect.Value
}

// change alters the value: a string or bool to another, a list loses or
// gains an item (or turns from nil to empty, which is no change), a pointer
// set or cleared.
func (l leaf) change(rnd *rand.Rand) {
	switch v := l.v; v.Kind() {
	case reflect.String:
		v.SetString(v.String() + "x")
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Slice:
		switch {
		case v.IsNil() && rnd.IntN(3) == 0:
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		case v.Len() > 0 && rnd.IntN(2) == 0:
			v.Set(v.Slice(0, v.Len()-1))
		default:
			v.Set(reflect.Append(v, reflect.Zero(v.Type().Elem())))
		}
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		} else {
			v.Set(reflect.Zero(v.Type()))
		}
	}
}

// collect lists every changeable value under v; a path names the field, not
// the index, so that paths can be counted per field.
func collect(v reflect.Value, path string, out *[]leaf) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			collect(v.Field(i), path+"."+v.Type().Field(i).Name, out)
		}
	case reflect.Slice:
		*out = append(*out, leaf{path, v})
		for i := range v.Len() {
			collect(v.Index(i), path+"[]", out)
		}
	case reflect.Pointer:
		*out = append(*out, leaf{path, v})
		if !v.IsNil() {
			collect(v.Elem(), path, out)
		}
	default:
		*out = append(*out, leaf{path, v})
	}
}

// fieldPaths lists the path of every field under t, as collect names them.
func fieldPaths(t reflect.Type, path string, out *[]string) {
	switch t.Kind() {
	case reflect.Struct:
		for i := range t.NumField() {
			fieldPaths(t.Field(i).Type, path+"."+t.Field(i).Name, out)
		}
	case reflect.Slice:
		*out = append(*out, path)
		fieldPaths(t.Elem(), path+"[]", out)
	case reflect.Pointer:
		*out = append(*out, path)
		fieldPaths(t.Elem(), path, out)
	default:
		*out = append(*out, path)
	}
}
