// Command etcd is etcd's own main, built from the Go module proxy so that
// `make run` and the envtest suite need no downloads beyond Go modules.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
