// Package reliability holds the fault tests of access-controller: a manager
// process SIGKILLed over and over while tenants churn, the API server
// stopped in the middle of churn, and one kind's list delayed at start. A
// watcher records every EffectivePermission version the cluster ever holds
// and the engine judges each one: no version may grant what no state of the
// inputs granted, and after quiescence the cluster holds exactly the
// engine's render of the final inputs. `make reliability` runs the long
// versions (RELIABILITY_MUTATIONS, RELIABILITY_KILLS); `make test` a short
// one. docs/reliability.md has the guarantees, the tests and the numbers.
package reliability
