package decision

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/tenancy-dev/access-controller/internal/question"
)

// TestDecisionLog: with a decision log, each request writes one JSON line:
// the endpoint, the request as sent, each decision, the answer or the
// error, the status; without one, nothing is recorded.
func TestDecisionLog(t *testing.T) {
	var buf bytes.Buffer
	e := newEnv(t, scenario(t, "role-hierarchy"), Options{DecisionLog: &buf})
	q := question.Question{Tenant: "northwind", User: "teresa@northwind.example", Action: "edit", Type: "deals", Owner: "jim@northwind.example"}
	if code, b := e.post("/v1/check", q); code != http.StatusOK {
		t.Fatalf("check: %d %s", code, b)
	}
	deny := q
	deny.User, deny.Owner = "jim@northwind.example", "teresa@northwind.example"
	if code, b := e.post("/v1/batch-check", BatchRequest{Questions: []question.Question{q, deny}}); code != http.StatusOK {
		t.Fatalf("batch: %d %s", code, b)
	}
	if code, _ := e.do(http.MethodPost, "/v1/check", []byte(`{"tenant":"northwind","ownr":"x"`)); code != http.StatusBadRequest {
		t.Fatalf("a broken body: %d", code)
	}

	var recs []DecisionRecord
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		var r DecisionRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("a line that is not a record: %q: %v", sc.Text(), err)
		}
		recs = append(recs, r)
	}
	if len(recs) != 3 {
		t.Fatalf("%d records, want one per request (3): %s", len(recs), buf.String())
	}
	check, batch, broken := recs[0], recs[1], recs[2]
	if check.Endpoint != "check" || check.Status != http.StatusOK || strings.Join(check.Results, ",") != "allowed" ||
		!strings.Contains(string(check.Request), `"user":"teresa@northwind.example"`) || check.Answer == nil || check.Error != nil {
		t.Errorf("check record: %+v", check)
	}
	if batch.Endpoint != "batch-check" || strings.Join(batch.Results, ",") != "allowed,denied" {
		t.Errorf("batch record: %+v", batch)
	}
	if broken.Status != http.StatusBadRequest || broken.Error == nil || broken.Error.Code != CodeInvalidRequest ||
		!strings.Contains(string(broken.Request), `ownr`) || broken.Answer != nil {
		t.Errorf("a broken body's record: %+v (request %s)", broken, broken.Request)
	}

	quiet := newEnv(t, scenario(t, "role-hierarchy"), Options{})
	if code, _ := quiet.post("/v1/check", q); code != http.StatusOK || quiet.srv.decisions != nil {
		t.Errorf("without a decision log: %d, log %v", code, quiet.srv.decisions)
	}
}
