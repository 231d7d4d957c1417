package manifest

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// Stdin is the name of standard input among Load's paths, and the file name
// its objects report.
const (
	Stdin     = "-"
	stdinName = "<stdin>"
)

// Load reads every path (a file, a directory walked recursively for *.yaml
// and *.yml files, or "-" for standard input) and decodes them into one Set.
// Files are read in the order given, each directory's files in lexical
// order, and a file named twice is read once. Any error is an *InputError.
func Load(paths ...string) (*Set, error) {
	return LoadFrom(os.Stdin, paths...)
}

// LoadFrom is Load reading "-" from stdin.
func LoadFrom(stdin io.Reader, paths ...string) (*Set, error) {
	files, err := expand(paths)
	if err != nil {
		return nil, err
	}
	var objs []Object
	for _, f := range files {
		var data []byte
		name := f
		if f == Stdin {
			name = stdinName
			data, err = io.ReadAll(stdin)
		} else {
			data, err = os.ReadFile(f)
		}
		if err != nil {
			return nil, &InputError{File: name, Reason: ioReason(err)}
		}
		o, err := Decode(name, data)
		if err != nil {
			return nil, err
		}
		objs = append(objs, o...)
	}
	return NewSet(objs)
}

// expand turns the paths into the list of files to read.
func expand(paths []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(f string) {
		key := f
		if f != Stdin {
			if abs, err := filepath.Abs(f); err == nil {
				key = abs
			}
		}
		if !seen[key] {
			seen[key] = true
			out = append(out, f)
		}
	}
	for _, p := range paths {
		if p == Stdin {
			add(p)
			continue
		}
		fi, err := os.Stat(p)
		if err != nil {
			return nil, &InputError{File: p, Reason: ioReason(err)}
		}
		if !fi.IsDir() {
			add(filepath.Clean(p))
			continue
		}
		files, err := walk(p)
		if err != nil {
			return nil, err
		}
		if len(files) == 0 {
			return nil, &InputError{File: p, Reason: "no *.yaml or *.yml files in this directory"}
		}
		for _, f := range files {
			add(f)
		}
	}
	return out, nil
}

// walk lists the manifests under dir, sorted so the result never depends on
// the file system.
//
// Kustomize's build files (kustomization.yaml) are skipped: they describe
// how to assemble manifests and are no objects themselves, and a
// config/samples directory usually holds one.
func walk(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !isManifest(d.Name()) {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			if fi, err := os.Stat(p); err != nil || fi.IsDir() {
				return nil // a dangling link or a link to a directory: not a manifest
			}
		}
		files = append(files, p)
		return nil
	})
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return nil, &InputError{File: pe.Path, Reason: ioReason(err)}
		}
		return nil, &InputError{File: dir, Reason: err.Error()}
	}
	slices.Sort(files)
	return files, nil
}

func isManifest(name string) bool {
	switch name {
	case "kustomization.yaml", "kustomization.yml", "Kustomization":
		return false
	}
	ext := filepath.Ext(name)
	return ext == ".yaml" || ext == ".yml"
}

// ioReason is an I/O error's reason without the path, which InputError
// already names.
func ioReason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
