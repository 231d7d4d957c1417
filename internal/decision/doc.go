// Package decision is the read-only decision server (GitHub issue 13): an
// HTTP/JSON API that answers access questions for applications that do not
// embed pkg/check, from a controller-runtime cache of the
// EffectivePermissions and the engine's inputs. It runs no controller, holds
// no lease and writes nothing, so any number of replicas serve side by side,
// each an independent reader of the watch.
//
// It decides nothing of its own. A decision is pkg/check on the
// EffectivePermission the controller wrote, compiled once per
// resourceVersion; a record owner's role and membership come from the
// engine (engine.Compute on internal/gather's snapshot of the tenant's
// namespace, memoized until an input it read changes); check and who-can
// are internal/question's Asker, the code `accessctl check` and `who-can`
// run. docs/decision-server.md describes the API.
package decision
