package manifest

import (
	"fmt"

	"github.com/tenancy-dev/access-controller/internal/engine"
)

// Set is the decoded inputs: the engine's snapshot, and where each object
// came from so findings can name the file to fix.
type Set struct {
	// Snapshot holds every object, by kind, in input order.
	Snapshot engine.Snapshot

	objects []Object
	byRef   map[engine.ObjectRef]int // index into objects
}

// NewSet builds a set from decoded objects. Two objects with one kind,
// namespace and name are an input error naming both places: the API server
// would keep only the last one applied, so which one the user meant is
// unknowable.
func NewSet(objs []Object) (*Set, error) {
	s := &Set{byRef: map[engine.ObjectRef]int{}}
	for _, o := range objs {
		if i, dup := s.byRef[o.Ref]; dup {
			first := s.objects[i]
			also := "also in " + first.File
			if first.File == o.File {
				also = fmt.Sprintf("also at line %d of this file", first.Line)
			}
			return nil, &InputError{File: o.File, Object: o.Ref.String(), Reason: "defined twice (" + also + ")"}
		}
		s.byRef[o.Ref] = len(s.objects)
		s.objects = append(s.objects, o)
		s.add(o.Resource)
	}
	return s, nil
}

// add files a decoded object under its kind in the snapshot.
func (s *Set) add(r Resource) {
	if !s.Snapshot.Add(r) {
		// Decode returns only the seven kinds.
		panic(fmt.Sprintf("manifest: unexpected type %T", r))
	}
}

// Objects returns every object in input order.
func (s *Set) Objects() []Object { return s.objects }

// Len is the number of objects.
func (s *Set) Len() int { return len(s.objects) }

// File returns the file the object came from, or "" when it is not among
// the inputs (a built-in, or a reference to something missing).
func (s *Set) File(ref engine.ObjectRef) string {
	if clusterScoped(ref.Kind) {
		ref.Namespace = ""
	}
	i, ok := s.byRef[ref]
	if !ok {
		return ""
	}
	return s.objects[i].File
}

// FindingFile is the file to fix for a finding: its object's file, else the
// file of the finding's tenant (a finding about a built-in object is fixed
// in that tenant's manifests), else "-".
func (s *Set) FindingFile(f engine.Finding) string {
	if file := s.File(f.Object); file != "" {
		return file
	}
	if f.Tenant != "" {
		if file := s.File(engine.ObjectRef{Kind: "Tenant", Name: f.Tenant}); file != "" {
			return file
		}
	}
	return "-"
}
