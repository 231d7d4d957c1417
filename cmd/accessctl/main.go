// Command accessctl answers, offline, what the access-controller would: it
// validates manifests against every invariant, renders the
// EffectivePermissions the controller would write, and checks single access
// decisions. See docs/accessctl.md.
//
// The same binary is kubectl's plugin `kubectl access` when installed as
// kubectl-access, and its completion helper as kubectl_complete-access
// (plugin.go).
package main

import "os"

func main() {
	os.Exit(runAs(invokedAs(os.Args[0]), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
