package decision

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"time"
)

// DecisionRecord is one line of the decision log: who asked what, and what
// was answered, as JSON (one object per request, newline-terminated).
type DecisionRecord struct {
	Time     time.Time `json:"time"`
	Endpoint string    `json:"endpoint"`
	// Caller is the authenticated user ("" when the server authenticates
	// no one: in-process tests only).
	Caller string `json:"caller,omitempty"`
	// Request is the request body as the caller sent it (JSON), or a string
	// when it was not JSON.
	Request json.RawMessage `json:"request,omitempty"`
	// Results are the decisions, one per question: allowed or denied.
	Results []string `json:"results,omitempty"`
	// Answer is the answer's body; Error the error's code and message.
	Answer any    `json:"answer,omitempty"`
	Error  *Error `json:"error,omitempty"`
	// Status is the HTTP status answered.
	Status     int     `json:"status"`
	DurationMs float64 `json:"durationMs"`
}

// decisionLog writes DecisionRecords to w, one JSON line each, whole lines
// even from concurrent requests.
type decisionLog struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *decisionLog) write(rec *DecisionRecord) {
	b, err := json.Marshal(rec)
	if err != nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = l.w.Write(append(b, '\n')) // a log that cannot be written must not fail the answer
}

// maxLogged bounds how much of a request body a record keeps.
const maxLogged = 64 << 10

// recordBody keeps a copy of what the request body yields, up to maxLogged.
type recordBody struct {
	io.ReadCloser
	buf bytes.Buffer
}

func (b *recordBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if room := maxLogged - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(n, room)])
	}
	return n, err
}

// logged wraps r's body to record it when the decision log is on.
func (s *Server) logged(r *http.Request) (*http.Request, *recordBody) {
	if s.decisions == nil || r.Body == nil {
		return r, nil
	}
	rb := &recordBody{ReadCloser: r.Body}
	r.Body = rb
	return r, rb
}

func (s *Server) logDecision(name string, r *http.Request, rb *recordBody, start time.Time, status int, answer any, results []string, e *Error) {
	if s.decisions == nil {
		return
	}
	rec := &DecisionRecord{Time: start.UTC(), Endpoint: name, Results: results, Status: status,
		DurationMs: float64(time.Since(start).Microseconds()) / 1000}
	if u, ok := callerFrom(r.Context()); ok {
		rec.Caller = u.GetName()
	}
	if rb != nil && rb.buf.Len() > 0 {
		if json.Valid(rb.buf.Bytes()) {
			rec.Request = json.RawMessage(rb.buf.Bytes())
		} else {
			rec.Request, _ = json.Marshal(rb.buf.String())
		}
	}
	if e != nil {
		rec.Error = e
	} else {
		rec.Answer = answer
	}
	s.decisions.write(rec)
}
