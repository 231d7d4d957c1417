package anchorbench

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"
)

// TestVerdicts is what `make test` runs: 200 users / 20 roles, 512
// questions, every engine and configuration asked each one, verdicts only.
func TestVerdicts(t *testing.T) {
	s := load(t, 200, 20, 512)
	verdicts(t, s)
}

func load(t *testing.T, users, roles, questions int) *Setup {
	t.Helper()
	start := time.Now()
	b := Build(users, roles, questions, 1)
	s, err := Load(context.Background(), b, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	t.Logf("%d users / %d roles: loaded in %s", users, roles, time.Since(start).Round(time.Millisecond))
	return s
}

// verdicts fails on any question the engines answer differently, and when
// the mix stops exercising both verdicts.
func verdicts(t *testing.T, s *Setup) {
	t.Helper()
	start := time.Now()
	ms, allowed, err := s.Verdicts()
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range ms {
		if i == 20 {
			t.Errorf("... and %d more", len(ms)-i)
			break
		}
		t.Errorf("different verdicts on %s", m)
	}
	n := len(s.Bench.Questions)
	t.Logf("%d questions asked of %d engines in %s: %d mismatches, %d allowed", n, len(s.Engines), time.Since(start).Round(time.Millisecond), len(ms), allowed)
	if allowed < n/10 || allowed > n*9/10 {
		t.Errorf("%d of %d questions allowed: the mix no longer exercises both verdicts", allowed, n)
	}
}

var _ = fmt.Sprint
var _ = os.Getenv
