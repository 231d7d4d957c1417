//go:build unix

package check_test

import "syscall"

// cpuTime is the CPU time the process has used, in nanoseconds: the
// benchmarks report it per decision beside the wall time, which a busy
// machine inflates.
func cpuTime() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
