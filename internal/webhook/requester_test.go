package webhook

import (
	"testing"

	"github.com/tenancy-dev/access-controller/internal/engine"
)

// TestRequester: the cleanup identities are what --cleanup-users names, not
// names written into the code; the controller is who SelfSubjectReview said.
func TestRequester(t *testing.T) {
	a := &admitter{controller: "system:serviceaccount:ac:manager",
		cleanup: map[string]bool{"system:serviceaccount:kube-system:gc-custom": true}}
	for _, c := range []struct {
		user string
		want engine.Requester
	}{
		{"system:serviceaccount:ac:manager", engine.TheController},
		{"system:serviceaccount:kube-system:gc-custom", engine.TheCluster},
		{DefaultCleanupUsers[0], engine.Someone}, // not configured here
		{"alice", engine.Someone},
	} {
		if got := a.requester(c.user); got != c.want {
			t.Errorf("requester(%q) = %v, want %v", c.user, got, c.want)
		}
	}
}
