// Package manifest reads the YAML manifests that accessctl is given (files,
// directories, stdin) into an engine.Snapshot, remembering which file each
// object came from.
//
// Decoding is strict, as the API server is: an unknown kind or apiVersion, an
// unknown field, a duplicate field or a value of the wrong type is an input
// error, reported in one line that names the file, the object and the field.
// A typo must never be silently dropped, because a dropped field reads as its
// default and offline answers would then differ from what the cluster
// refuses. Nothing is defaulted or rewritten: the engine sees exactly what the
// user wrote, as the controller would after admission.
package manifest
