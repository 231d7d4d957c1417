// Command accessctl answers, offline, what the access-controller would: it
// validates manifests against every invariant, renders the
// EffectivePermissions the controller would write, and checks single access
// decisions. See docs/accessctl.md.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
