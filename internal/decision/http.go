package decision

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/tenancy-dev/access-controller/internal/question"
)

// MaxBatch is the most questions one batch-check request may hold.
const MaxBatch = 1000

// maxBody bounds a request body: a full batch of long questions fits.
const maxBody = 8 << 20

// Error codes: stable, for clients to branch on; the message is for people.
const (
	// CodeInvalidRequest: the body is not JSON of the endpoint's shape (an
	// unknown field included), or the question cannot be asked.
	CodeInvalidRequest = "invalid_request"
	// CodeTooManyQuestions: a batch holds more than MaxBatch questions.
	CodeTooManyQuestions = "too_many_questions"
	// CodeRequestTooLarge: the body exceeds 8 MiB.
	CodeRequestTooLarge = "request_too_large"
	// CodeMethodNotAllowed: an endpoint of /v1 asked with another method
	// than POST.
	CodeMethodNotAllowed = "method_not_allowed"
	// CodeNotFound: no such endpoint.
	CodeNotFound = "not_found"
	// CodeNotReady: the cache has not synced yet; ask another replica, or
	// again shortly.
	CodeNotReady = "not_ready"
	// CodeInternal: the cache could not be read.
	CodeInternal = "internal"
)

// Error is an error answer: {"code": ..., "message": ...}.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	status  int
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func invalid(format string, args ...any) *Error {
	return &Error{Code: CodeInvalidRequest, Message: fmt.Sprintf(format, args...), status: http.StatusBadRequest}
}

func internal(err error) *Error {
	return &Error{Code: CodeInternal, Message: err.Error(), status: http.StatusInternalServerError}
}

// Handler serves the API: POST /v1/check, /v1/batch-check, /v1/who-can and
// /v1/filter, and GET /healthz and /readyz.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/v1/check", s.endpoint("check", s.serveCheck))
	mux.Handle("/v1/batch-check", s.endpoint("batch-check", s.serveBatch))
	mux.Handle("/v1/who-can", s.endpoint("who-can", s.serveWhoCan))
	mux.Handle("/v1/filter", s.endpoint("filter", s.serveFilter))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !s.synced() {
			http.Error(w, "the cache has not synced", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ok")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, &Error{Code: CodeNotFound, Message: fmt.Sprintf("no endpoint %s: POST to /v1/check, /v1/batch-check, /v1/who-can or /v1/filter", r.URL.Path)})
	})
	return mux
}

// serveFunc answers one request: the body to write and the result of each
// decision, or an error answer.
type serveFunc func(r *http.Request, w http.ResponseWriter) (body any, results []string, err *Error)

// endpoint wraps an endpoint: POST only, nothing before the cache has
// synced, JSON out, metrics.
func (s *Server) endpoint(name string, serve serveFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		defer func() { s.metrics.latency.WithLabelValues(name).Observe(time.Since(start).Seconds()) }()
		var body any
		var results []string
		var e *Error
		var refused *Error
		if r.Method == http.MethodPost {
			// Who asks, before anything is read or told.
			r, refused = s.authenticate(w, r)
		}
		r, recorded := s.logged(r)
		switch {
		case r.Method != http.MethodPost:
			w.Header().Set("Allow", http.MethodPost)
			e = &Error{Code: CodeMethodNotAllowed, Message: fmt.Sprintf("%s: use POST with a JSON body", r.Method), status: http.StatusMethodNotAllowed}
		case refused != nil:
			e = refused
		case !s.synced():
			e = &Error{Code: CodeNotReady, Message: "the cache has not synced yet: no answer rather than a wrong one; retry, or ask another replica", status: http.StatusServiceUnavailable}
		default:
			body, results, e = serve(r, w)
		}
		if e != nil {
			s.metrics.decisions.WithLabelValues(name, resultError).Inc()
			s.metrics.errors.WithLabelValues(name, e.Code).Inc()
			writeJSON(w, e.status, e)
			s.logDecision(name, r, recorded, start, e.status, nil, nil, e)
			return
		}
		for _, res := range results {
			s.metrics.decisions.WithLabelValues(name, res).Inc()
		}
		writeJSON(w, http.StatusOK, body)
		s.logDecision(name, r, recorded, start, http.StatusOK, body, results, nil)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client went away: nothing to tell it
}

// decode reads exactly one JSON value of v's shape, no unknown field, from
// a body of at most maxBody bytes.
func decode(w http.ResponseWriter, r *http.Request, v any) *Error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		var extra json.RawMessage
		if err = dec.Decode(&extra); err == io.EOF {
			return nil
		} else if err == nil {
			err = errors.New("the body holds more than one JSON value")
		}
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return &Error{Code: CodeRequestTooLarge, Message: fmt.Sprintf("the body exceeds %d bytes", tooLarge.Limit), status: http.StatusRequestEntityTooLarge}
	}
	return invalid("the body is not a JSON question of this endpoint: %v", err)
}

func result(allowed bool) string {
	if allowed {
		return resultAllowed
	}
	return resultDenied
}

// validate checks a check question.
func validate(q *question.Question) *Error {
	if err := q.Validate(true, question.JSONForm(q)); err != nil {
		return invalid("%s", err)
	}
	return nil
}

// CheckRequest is a check body: a question of `accessctl check` and how
// fresh its answer must be.
type CheckRequest struct {
	question.Question
	Consistency *Consistency `json:"consistency,omitempty"`
}

func (s *Server) serveCheck(r *http.Request, w http.ResponseWriter) (any, []string, *Error) {
	var q CheckRequest
	if e := decode(w, r, &q); e != nil {
		return nil, nil, e
	}
	if e := validate(&q.Question); e != nil {
		return nil, nil, e
	}
	if e := s.authorize(r.Context(), verbGet, q.Tenant); e != nil {
		return nil, nil, e
	}
	src, e := s.view(r.Context(), q.Tenant, q.Consistency)
	if e != nil {
		return nil, nil, e
	}
	a, err := s.check(r.Context(), &q.Question, src)
	if err != nil {
		return nil, nil, internal(err)
	}
	return a, []string{result(a.Allowed)}, nil
}

// BatchRequest is a batch-check body: questions of /v1/check, answered in
// order.
type BatchRequest struct {
	Questions []question.Question `json:"questions"`
	// Consistency applies to every question: each tenant's answers wait
	// for it, once.
	Consistency *Consistency `json:"consistency,omitempty"`
}

// BatchAnswer is a batch-check answer: one Answer per question, in order.
type BatchAnswer struct {
	Answers []Answer `json:"answers"`
}

func (s *Server) serveBatch(r *http.Request, w http.ResponseWriter) (any, []string, *Error) {
	var b BatchRequest
	if e := decode(w, r, &b); e != nil {
		return nil, nil, e
	}
	if len(b.Questions) > MaxBatch {
		return nil, nil, &Error{Code: CodeTooManyQuestions, status: http.StatusBadRequest,
			Message: fmt.Sprintf("a batch holds at most %d questions, this one %d: split it", MaxBatch, len(b.Questions))}
	}
	for i := range b.Questions {
		if e := validate(&b.Questions[i]); e != nil {
			e.Message = fmt.Sprintf("questions[%d]: %s", i, e.Message)
			return nil, nil, e
		}
	}
	if e := s.authorize(r.Context(), verbGet, tenantsOf(&b)...); e != nil {
		return nil, nil, e
	}
	if _, e := b.Consistency.validate(); e != nil {
		return nil, nil, e
	}
	srcs := map[string]source{}
	for _, t := range tenantsOf(&b) {
		src, e := s.view(r.Context(), t, b.Consistency)
		if e != nil {
			return nil, nil, e
		}
		srcs[t] = src
	}
	out := BatchAnswer{Answers: make([]Answer, len(b.Questions))}
	results := make([]string, len(b.Questions))
	for i := range b.Questions {
		a, err := s.check(r.Context(), &b.Questions[i], srcs[b.Questions[i].Tenant])
		if err != nil {
			return nil, nil, internal(err)
		}
		out.Answers[i], results[i] = a, result(a.Allowed)
	}
	return out, results, nil
}

// WhoCanRequest is a who-can body: a question of `accessctl who-can` and
// how fresh its answer must be.
type WhoCanRequest struct {
	question.Question
	Consistency *Consistency `json:"consistency,omitempty"`
}

func (s *Server) serveWhoCan(r *http.Request, w http.ResponseWriter) (any, []string, *Error) {
	var q WhoCanRequest
	if e := decode(w, r, &q); e != nil {
		return nil, nil, e
	}
	if q.User != "" {
		return nil, nil, invalid("user: who-can asks about every user of the tenant; leave user out")
	}
	if err := q.Validate(false, question.JSONForm(&q.Question)); err != nil {
		return nil, nil, invalid("%s", err)
	}
	if e := s.authorize(r.Context(), verbList, q.Tenant); e != nil {
		return nil, nil, e
	}
	src, e := s.view(r.Context(), q.Tenant, q.Consistency)
	if e != nil {
		return nil, nil, e
	}
	a, err := s.whoCan(r.Context(), &q.Question, src)
	if err != nil {
		return nil, nil, internal(err)
	}
	return a, []string{result(len(a.Users) > 0)}, nil
}

// FilterRequest is a filter body: the question and how fresh its answer
// must be.
type FilterRequest struct {
	FilterQuestion
	Consistency *Consistency `json:"consistency,omitempty"`
}

func (s *Server) serveFilter(r *http.Request, w http.ResponseWriter) (any, []string, *Error) {
	var fq FilterRequest
	if e := decode(w, r, &fq); e != nil {
		return nil, nil, e
	}
	if fq.Action == "" {
		return nil, nil, invalid("action is required")
	}
	q := question.Question{Tenant: fq.Tenant, User: fq.User, Action: fq.Action, Type: fq.Type}
	if e := validate(&q); e != nil {
		return nil, nil, e
	}
	if e := s.authorize(r.Context(), verbGet, fq.Tenant); e != nil {
		return nil, nil, e
	}
	src, e := s.view(r.Context(), fq.Tenant, fq.Consistency)
	if e != nil {
		return nil, nil, e
	}
	a, err := s.filter(r.Context(), &fq.FilterQuestion, src)
	if err != nil {
		return nil, nil, internal(err)
	}
	return a, []string{result(!a.Nothing())}, nil
}
