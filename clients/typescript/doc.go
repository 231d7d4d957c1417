// Package typescript holds the TypeScript client of the decision server
// (src/, README.md) and, in Go, only its tests: `go test` builds the client
// with the machine's Node and npm, runs its unit tests, and runs its
// end-to-end test against a real decision server over TLS, with a
// ServiceAccount token, in front of an envtest API server and the real
// controller — so `make test` covers the client with the rest.
package typescript
