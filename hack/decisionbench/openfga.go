package decisionbench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/openfga/language/pkg/go/transformer"
	"golang.org/x/sync/errgroup"
)

// BatchSize is how many questions one batch check carries, on both servers.
const BatchSize = 100

// OpenFGA is a running `openfga run` with the memory datastore, and the
// store and model the world was written to.
type OpenFGA struct {
	proc    *Process
	base    string
	client  *http.Client
	header  http.Header
	store   string
	modelID string
}

// FGAOptions choose how OpenFGA stores and caches.
type FGAOptions struct {
	// Datastore is "memory" (the default; every read scans all of the
	// store's tuples) or "sqlite" (indexed tables in a file of the run's
	// directory, after `openfga migrate`).
	Datastore string
	// Cache turns on OpenFGA's check query cache and its check and
	// ListObjects iterator caches (default TTLs and sizes), which answer
	// repeated sub-questions from memory for up to 10 s.
	Cache bool
	// Flags are further flags of `openfga run`.
	Flags []string
}

func (o FGAOptions) String() string {
	s := o.Datastore
	if s == "" {
		s = "memory"
	}
	if o.Cache {
		s += ", caches on"
	}
	if len(o.Flags) > 0 {
		s += ", " + strings.Join(o.Flags, " ")
	}
	return s
}

// StartOpenFGA runs the binary on loopback ports, serving HTTPS with a
// self-signed certificate and requiring a preshared bearer key, as the
// decision server serves HTTPS and requires a token. The flags differ from
// the defaults otherwise only where the benchmark needs every answer whole:
// ListObjects returns all results (not the first 1,000) within 60 s (not
// 3 s), and a batch check takes BatchSize checks (not 50); and as o says.
func StartOpenFGA(ctx context.Context, binary, dir string, o FGAOptions) (*OpenFGA, error) {
	httpPort, err := freePort()
	if err != nil {
		return nil, err
	}
	grpcPort, err := freePort()
	if err != nil {
		return nil, err
	}
	cert, key, err := selfSigned(dir, "openfga")
	if err != nil {
		return nil, err
	}
	secret := randomKey()
	args := []string{"run",
		"--http-addr=127.0.0.1:" + strconv.Itoa(httpPort),
		"--grpc-addr=127.0.0.1:" + strconv.Itoa(grpcPort),
		"--http-tls-enabled=true", "--http-tls-cert=" + cert, "--http-tls-key=" + key,
		"--authn-method=preshared", "--authn-preshared-keys=" + secret,
		"--playground-enabled=false",
		"--metrics-enabled=false",
		"--log-level=warn",
		"--listObjects-max-results=0",
		"--listObjects-deadline=60s",
		"--request-timeout=70s", // must not be below the ListObjects deadline
		"--max-checks-per-batch-check=" + strconv.Itoa(BatchSize),
		"--max-concurrent-checks-per-batch-check=" + strconv.Itoa(BatchSize),
	}
	switch o.Datastore {
	case "", "memory":
		args = append(args, "--datastore-engine=memory")
	case "sqlite":
		uri := "file:" + filepath.Join(dir, "openfga.db")
		out, err := exec.CommandContext(ctx, binary, "migrate", "--datastore-engine=sqlite", "--datastore-uri="+uri).CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("openfga migrate (sqlite): %w\n%s", err, out)
		}
		args = append(args, "--datastore-engine=sqlite", "--datastore-uri="+uri)
	default:
		return nil, fmt.Errorf("OpenFGA datastore %q: want memory or sqlite", o.Datastore)
	}
	if o.Cache {
		args = append(args, "--check-query-cache-enabled=true", "--check-iterator-cache-enabled=true", "--list-objects-iterator-cache-enabled=true")
	}
	args = append(args, o.Flags...)
	proc, err := Start(ctx, filepath.Join(dir, "openfga.log"), binary, args...)
	if err != nil {
		return nil, err
	}
	c, err := tlsClient(cert)
	if err != nil {
		_ = proc.Stop()
		return nil, err
	}
	f := &OpenFGA{proc: proc, base: fmt.Sprintf("https://127.0.0.1:%d", httpPort), client: c,
		header: http.Header{"Authorization": {"Bearer " + secret}}}
	if err := proc.WaitReady(ctx, f.client, f.base+"/healthz", f.header, 60*time.Second); err != nil {
		_ = proc.Stop()
		return nil, err
	}
	return f, nil
}

// Process is the server process (for its memory).
func (f *OpenFGA) Process() *Process { return f.proc }

// Stop ends the server.
func (f *OpenFGA) Stop() error { return f.proc.Stop() }

func (f *OpenFGA) post(ctx context.Context, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return postJSON(ctx, f.client, f.base+path, body, f.header, out)
}

// Load creates a store, writes the model and writes the tuples, 100 per
// request (OpenFGA's limit per write) with 4 writers.
func (f *OpenFGA) Load(ctx context.Context, model string, tuples []Tuple) error {
	js, err := transformer.TransformDSLToJSON(model)
	if err != nil {
		return fmt.Errorf("the OpenFGA model does not parse: %w", err)
	}
	var store struct {
		ID string `json:"id"`
	}
	if err := f.post(ctx, "/stores", map[string]string{"name": "decisionbench"}, &store); err != nil {
		return fmt.Errorf("creating the store: %w", err)
	}
	f.store = store.ID
	var m struct {
		ID string `json:"authorization_model_id"`
	}
	if err := postJSON(ctx, f.client, f.base+"/stores/"+f.store+"/authorization-models", []byte(js), f.header, &m); err != nil {
		return fmt.Errorf("writing the model: %w", err)
	}
	f.modelID = m.ID
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for i := 0; i < len(tuples); i += 100 {
		chunk := tuples[i:min(i+100, len(tuples))]
		g.Go(func() error {
			req := map[string]any{"authorization_model_id": f.modelID, "writes": map[string]any{"tuple_keys": chunk}}
			if err := f.post(gctx, "/stores/"+f.store+"/write", req, nil); err != nil {
				return fmt.Errorf("writing tuples %d–%d: %w", i, i+len(chunk)-1, err)
			}
			return nil
		})
	}
	return g.Wait()
}

// CheckBody is the body of one check.
func (f *OpenFGA) CheckBody(q Question) []byte {
	b, _ := json.Marshal(map[string]any{"authorization_model_id": f.modelID, "tuple_key": q.Tuple()})
	return b
}

// CheckURL is where checks are posted.
func (f *OpenFGA) CheckURL() string { return f.base + "/stores/" + f.store + "/check" }

// Check asks one question.
func (f *OpenFGA) Check(ctx context.Context, q Question) (bool, error) {
	var out struct {
		Allowed bool `json:"allowed"`
	}
	err := postJSON(ctx, f.client, f.CheckURL(), f.CheckBody(q), f.header, &out)
	return out.Allowed, err
}

// BatchBody is the body of one batch check; correlation ids are the indexes.
func (f *OpenFGA) BatchBody(qs []Question) []byte {
	type item struct {
		TupleKey      Tuple  `json:"tuple_key"`
		CorrelationID string `json:"correlation_id"`
	}
	items := make([]item, len(qs))
	for i, q := range qs {
		items[i] = item{TupleKey: q.Tuple(), CorrelationID: strconv.Itoa(i)}
	}
	b, _ := json.Marshal(map[string]any{"authorization_model_id": f.modelID, "checks": items})
	return b
}

// BatchURL is where batch checks are posted.
func (f *OpenFGA) BatchURL() string { return f.base + "/stores/" + f.store + "/batch-check" }

// BatchCheck asks the questions in one batch; an error answer for any
// question is an error.
func (f *OpenFGA) BatchCheck(ctx context.Context, qs []Question) ([]bool, error) {
	var out struct {
		Result map[string]struct {
			Allowed bool `json:"allowed"`
			Error   any  `json:"error"`
		} `json:"result"`
	}
	if err := postJSON(ctx, f.client, f.BatchURL(), f.BatchBody(qs), f.header, &out); err != nil {
		return nil, err
	}
	res := make([]bool, len(qs))
	for i := range qs {
		r, ok := out.Result[strconv.Itoa(i)]
		if !ok || r.Error != nil {
			return nil, fmt.Errorf("batch check: no answer for %s (%v)", qs[i], r.Error)
		}
		res[i] = r.Allowed
	}
	return res, nil
}

// ListBody is the body of a ListObjects request.
func (f *OpenFGA) ListBody(q ListQuestion) []byte {
	b, _ := json.Marshal(map[string]any{"authorization_model_id": f.modelID, "type": fgaName(q.Type),
		"relation": "can_" + fgaAction[q.Action], "user": "user:" + q.User})
	return b
}

// ListURL is where ListObjects requests are posted.
func (f *OpenFGA) ListURL() string { return f.base + "/stores/" + f.store + "/list-objects" }

// ListObjects returns the objects the user may act on (of every tenant).
func (f *OpenFGA) ListObjects(ctx context.Context, q ListQuestion) ([]string, error) {
	var out struct {
		Objects []string `json:"objects"`
	}
	err := postJSON(ctx, f.client, f.ListURL(), f.ListBody(q), f.header, &out)
	return out.Objects, err
}

// newHTTPClient is a keep-alive client with enough idle connections for
// the benchmark's concurrency.
func newHTTPClient(tr *http.Transport) *http.Client {
	if tr == nil {
		tr = &http.Transport{}
	}
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost, tr.IdleConnTimeout = 256, 256, 90*time.Second
	tr.Proxy = nil
	return &http.Client{Transport: tr, Timeout: 120 * time.Second}
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// postJSON posts body and decodes a 200 (or 201) answer into out (when not nil);
// any other status is an error carrying the answer.
func postJSON(ctx context.Context, c *http.Client, url string, body []byte, header http.Header, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	buf := bufPool.Get().(*bytes.Buffer)
	defer bufPool.Put(buf)
	buf.Reset()
	if _, err := io.Copy(buf, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("POST %s: %s: %s", url, resp.Status, bytes.TrimSpace(buf.Bytes()))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(buf.Bytes(), out); err != nil {
		return fmt.Errorf("POST %s: the answer is not JSON of the expected shape: %w", url, err)
	}
	return nil
}
