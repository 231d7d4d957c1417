package decision

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/question"
	"github.com/tenancy-dev/access-controller/pkg/check"
)

// The OpenAPI document other languages build clients from
// (clients/openapi.yaml) is held here to the server: every JSON field of
// every request and answer type, both ways, with its JSON type, enum and
// pattern; every error code with the status the server answers it with;
// every route. Adding a field, a code or an endpoint without describing it
// fails these tests, with a message saying what to add.

var openAPIFile = filepath.Join("..", "..", "clients", "openapi.yaml")

// openAPIEndpoints are the /v1 endpoints and the Go types of their bodies.
var openAPIEndpoints = []struct {
	path        string
	request     reflect.Type
	answer      reflect.Type
	authorizing string // the verb a caller needs
}{
	{"/v1/check", reflect.TypeFor[CheckRequest](), reflect.TypeFor[Answer](), verbGet},
	{"/v1/batch-check", reflect.TypeFor[BatchRequest](), reflect.TypeFor[BatchAnswer](), verbGet},
	{"/v1/who-can", reflect.TypeFor[WhoCanRequest](), reflect.TypeFor[WhoCanAnswer](), verbList},
	{"/v1/filter", reflect.TypeFor[FilterRequest](), reflect.TypeFor[FilterAnswer](), verbGet},
}

// enumsByType are the values of the Go types the document gives as enums.
var enumsByType = map[reflect.Type][]string{
	reflect.TypeFor[accessv1.Action]():      enumStrings(question.Actions),
	reflect.TypeFor[accessv1.Visibility]():  enumStrings(question.Visibilities),
	reflect.TypeFor[accessv1.AccessLevel](): enumStrings([]accessv1.AccessLevel{accessv1.AccessNone, accessv1.AccessRead, accessv1.AccessReadWrite}),
	reflect.TypeFor[check.Attribute]():      enumStrings([]check.Attribute{check.AttrOwner, check.AttrOwnerRole, check.AttrOwnerActive, check.AttrVisibility, check.AttrGroups}),
	reflect.TypeFor[check.Op]():             enumStrings([]check.Op{check.OpIn, check.OpNotIn, check.OpIsTrue, check.OpContainsAny}),
}

func enumStrings[S ~string](xs []S) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}

// openAPIPatterns are the Go side of the patterns the document states, by the
// property's name.
var openAPIPatterns = map[string]string{
	"user":  accessv1.EmailPattern,
	"owner": accessv1.EmailPattern,
	"type":  accessv1.TypeNamePattern,
}

// openAPIDoc is the OpenAPI document as JSON values.
type openAPIDoc struct{ root map[string]any }

func loadOpenAPI(t *testing.T) *openAPIDoc {
	t.Helper()
	y, err := os.ReadFile(openAPIFile)
	if err != nil {
		t.Fatal(err)
	}
	j, err := yaml.YAMLToJSON(y)
	if err != nil {
		t.Fatalf("%s: %v", openAPIFile, err)
	}
	var root map[string]any
	if err := json.Unmarshal(j, &root); err != nil {
		t.Fatal(err)
	}
	return &openAPIDoc{root: root}
}

// jsonAt walks keys from the root; nil when one is missing.
func jsonAt(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func jsonObject(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// resolve follows a $ref to a component schema: the schema and its name
// ("" when s is not a reference).
func (d *openAPIDoc) resolve(s map[string]any) (map[string]any, string, error) {
	ref, ok := s["$ref"].(string)
	if !ok {
		return s, "", nil
	}
	name, ok := strings.CutPrefix(ref, "#/components/schemas/")
	if !ok {
		return nil, "", fmt.Errorf("$ref %q: want #/components/schemas/<name>", ref)
	}
	target := jsonObject(jsonAt(d.root, "components", "schemas", name))
	if target == nil {
		return nil, "", fmt.Errorf("$ref %q: no such schema", ref)
	}
	return target, name, nil
}

// properties are an object schema's properties, allOf flattened as Go
// flattens embedded structs, and its required ones.
func (d *openAPIDoc) properties(s map[string]any) (map[string]map[string]any, map[string]bool, error) {
	s, _, err := d.resolve(s)
	if err != nil {
		return nil, nil, err
	}
	props := map[string]map[string]any{}
	required := map[string]bool{}
	if parts, ok := s["allOf"].([]any); ok {
		for _, p := range parts {
			pp, pr, err := d.properties(jsonObject(p))
			if err != nil {
				return nil, nil, err
			}
			for k, v := range pp {
				if _, dup := props[k]; dup {
					return nil, nil, fmt.Errorf("property %s is given twice in allOf", k)
				}
				props[k] = v
			}
			for k := range pr {
				required[k] = true
			}
		}
	} else if s["type"] != "object" {
		return nil, nil, fmt.Errorf("not an object schema (type %v)", s["type"])
	}
	for k, v := range jsonObject(s["properties"]) {
		props[k] = jsonObject(v)
	}
	if rs, ok := s["required"].([]any); ok {
		for _, r := range rs {
			required[r.(string)] = true
		}
	}
	return props, required, nil
}

// jsonField is one JSON field of a Go type.
type jsonField struct {
	name      string
	typ       reflect.Type
	omitempty bool
}

// jsonFields are the fields encoding/json writes and reads for t:
// embedded structs without a JSON name flattened, "-" and unexported
// fields left out.
func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" && opts == "" {
			continue
		}
		ft := f.Type
		if f.Anonymous && name == "" {
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				out = append(out, jsonFields(ft)...)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, jsonField{name: name, typ: f.Type, omitempty: slices.Contains(strings.Split(opts, ","), "omitempty")})
	}
	return out
}

// schemaChecker compares Go types with the document's schemas.
type schemaChecker struct {
	t     *testing.T
	d     *openAPIDoc
	enums map[string][]string // expected enums by "<schema>.<property>", for fields typed string in Go
	done  map[string]bool
}

// object compares the struct type typ with the object schema s, both
// ways. answer says typ is written by the server: each field it always
// writes (no omitempty) must be required.
func (c *schemaChecker) object(where string, typ reflect.Type, s map[string]any, answer bool) {
	c.t.Helper()
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	_, name, err := c.d.resolve(s)
	if err != nil {
		c.t.Errorf("%s: %v", where, err)
		return
	}
	if name != "" {
		where = name
	}
	key := fmt.Sprintf("%s %v %v", where, typ, answer)
	if c.done[key] {
		return
	}
	c.done[key] = true
	props, required, err := c.d.properties(s)
	if err != nil {
		c.t.Errorf("schema %s: %v", where, err)
		return
	}
	fields := jsonFields(typ)
	inGo := map[string]bool{}
	for _, f := range fields {
		inGo[f.name] = true
		p, ok := props[f.name]
		if !ok {
			c.t.Errorf("%s: the Go type %v has the JSON field %q, which %s does not describe: add it to schema %s", where, typ, f.name, openAPIFile, where)
			continue
		}
		if answer && !f.omitempty && !required[f.name] {
			c.t.Errorf("%s.%s: the server always writes it (%v has no omitempty): list it in required", where, f.name, typ)
		}
		c.value(where+"."+f.name, f.name, f.typ, p, answer)
	}
	for name := range props {
		if !inGo[name] {
			c.t.Errorf("%s: schema property %q is no JSON field of the Go type %v: remove it from %s, or add it to the type", where, name, typ, openAPIFile)
		}
	}
	for name := range required {
		if !inGo[name] {
			c.t.Errorf("%s: required %q is no property", where, name)
		}
	}
}

// value compares one field's Go type with its property schema.
func (c *schemaChecker) value(where, prop string, typ reflect.Type, s map[string]any, answer bool) {
	c.t.Helper()
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	r, name, err := c.d.resolve(s)
	if err != nil {
		c.t.Errorf("%s: %v", where, err)
		return
	}
	if !strings.HasSuffix(where, "[]") && s["description"] == nil && r["description"] == nil {
		c.t.Errorf("%s: describe it (a description on the property or on the schema it refers to)", where)
	}
	wantEnum, typed := enumsByType[typ]
	if !typed {
		wantEnum = c.enums[where]
	}
	gotEnum := jsonStrings(r["enum"])
	switch {
	case wantEnum != nil && !sameStrings(gotEnum, wantEnum):
		c.t.Errorf("%s: enum %v, the Go side has %v", where, gotEnum, wantEnum)
	case wantEnum == nil && gotEnum != nil:
		c.t.Errorf("%s: enum %v, but this test knows no Go values for it: add them to enumsByType or the schemaChecker's enums", where, gotEnum)
	}
	if p, ok := r["pattern"].(string); ok {
		if want, known := openAPIPatterns[prop]; !known || p != want {
			c.t.Errorf("%s: pattern %q, the Go side has %q", where, p, want)
		}
	} else if want, known := openAPIPatterns[prop]; known && !answer && r["type"] == "string" {
		c.t.Errorf("%s: state the pattern %q", where, want)
	}
	want := map[reflect.Kind]string{
		reflect.String: "string", reflect.Bool: "boolean",
		reflect.Int: "integer", reflect.Int32: "integer", reflect.Int64: "integer", reflect.Uint: "integer", reflect.Uint32: "integer", reflect.Uint64: "integer",
		reflect.Float32: "number", reflect.Float64: "number",
		reflect.Slice: "array", reflect.Struct: "object",
	}[typ.Kind()]
	got, _ := r["type"].(string)
	if got == "" && r["allOf"] != nil {
		got = "object"
	}
	if want == "" || got != want {
		c.t.Errorf("%s: schema type %q, the Go type %v is JSON %q", where, got, typ, want)
		return
	}
	switch typ.Kind() {
	case reflect.Slice:
		items := jsonObject(r["items"])
		if items == nil {
			c.t.Errorf("%s: an array without items", where)
			return
		}
		c.value(where+"[]", prop, typ.Elem(), items, answer)
	case reflect.Struct:
		if name == "" {
			c.t.Errorf("%s: give the object as a $ref to a component schema, so that clients name its type", where)
		}
		c.object(where, typ, s, answer)
	}
}

func jsonStrings(v any) []string {
	l, ok := v.([]any)
	if !ok {
		return nil
	}
	out := make([]string, len(l))
	for i, x := range l {
		out[i] = fmt.Sprint(x)
	}
	return out
}

func sameStrings(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}

// sourceErrorCodes are the Code* constants of this package's source, by value.
func sourceErrorCodes(t *testing.T) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			g, ok := decl.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if !strings.HasPrefix(n.Name, "Code") || i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						t.Errorf("%s: %s is not a string literal: this test reads the codes from the source", fset.Position(n.Pos()), n.Name)
						continue
					}
					v, _ := strconv.Unquote(lit.Value)
					out[v] = n.Name
				}
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("found no Code* constants in the package's source")
	}
	return out
}

// sourceRoutes are the patterns of the mux.Handle and mux.HandleFunc calls of
// this package's source, methods and hosts left out.
func sourceRoutes(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc") {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				t.Errorf("%s: a route that is not a string literal: this test reads the routes from the source", fset.Position(call.Pos()))
				return true
			}
			pattern, _ := strconv.Unquote(lit.Value)
			if _, p, ok := strings.Cut(pattern, " "); ok { // "POST /v1/check"
				pattern = p
			}
			if i := strings.Index(pattern, "/"); i > 0 { // a host
				pattern = pattern[i:]
			}
			out = append(out, pattern)
			return true
		})
	}
	return out
}

// TestOpenAPISchemas: every request and answer of every endpoint is
// described field by field, both ways, with its JSON type, enums,
// patterns, limits and required fields, and so is the error answer.
func TestOpenAPISchemas(t *testing.T) {
	d := loadOpenAPI(t)
	if v := jsonAt(d.root, "openapi"); v != "3.0.3" && v != "3.1.0" {
		t.Errorf("openapi: %v, want 3.0.3 or 3.1.0", v)
	}
	codes := sourceErrorCodes(t)
	c := &schemaChecker{t: t, d: d, done: map[string]bool{}, enums: map[string][]string{
		"Write.kind": kindNames(),
		"Error.code": slices.Collect(keysOf(codes)),
	}}
	var documented []string
	for p := range jsonObject(jsonAt(d.root, "paths")) {
		if strings.HasPrefix(p, "/v1/") {
			documented = append(documented, p)
		}
	}
	var served []string
	for _, e := range openAPIEndpoints {
		served = append(served, e.path)
		op := jsonObject(jsonAt(d.root, "paths", e.path, "post"))
		if op == nil {
			t.Errorf("%s: no POST in %s", e.path, openAPIFile)
			continue
		}
		if ms := jsonObject(jsonAt(d.root, "paths", e.path)); len(ms) != 1 {
			t.Errorf("%s: the server answers only POST (method_not_allowed otherwise), the document has %v", e.path, slices.Collect(keysOf(ms)))
		}
		req := jsonObject(jsonAt(op, "requestBody", "content", "application/json", "schema"))
		if req == nil || jsonAt(op, "requestBody", "required") != true {
			t.Errorf("%s: a required application/json requestBody with a schema", e.path)
		} else {
			c.object(e.path+" request", e.request, req, false)
		}
		for status, r := range jsonObject(op["responses"]) {
			s := jsonObject(jsonAt(r, "content", "application/json", "schema"))
			if ref, ok := jsonObject(r)["$ref"].(string); ok {
				name, _ := strings.CutPrefix(ref, "#/components/responses/")
				s = jsonObject(jsonAt(d.root, "components", "responses", name, "content", "application/json", "schema"))
			}
			if s == nil {
				t.Errorf("%s %s: no application/json schema", e.path, status)
				continue
			}
			if status == "200" {
				c.object(e.path+" answer", e.answer, s, true)
			} else {
				c.object(e.path+" "+status, reflect.TypeFor[Error](), s, true)
			}
		}
		if !strings.Contains(fmt.Sprint(op["description"]), "`"+e.authorizing+"`") {
			t.Errorf("%s: say what a caller needs: `%s` on effectivepermissions", e.path, e.authorizing)
		}
	}
	slices.Sort(documented)
	slices.Sort(served)
	if !slices.Equal(documented, served) {
		t.Errorf("the document's /v1 paths are %v, the endpoints this test knows %v (openAPIEndpoints)", documented, served)
	}

	// Limits the server enforces.
	if v := jsonAt(d.root, "components", "schemas", "BatchCheckRequest", "properties", "questions", "maxItems"); v != float64(MaxBatch) {
		t.Errorf("BatchCheckRequest.questions maxItems %v, MaxBatch is %d", v, MaxBatch)
	}
	wait := jsonObject(jsonAt(d.root, "components", "schemas", "Consistency", "properties", "maxWaitSeconds"))
	if wait["maximum"] != MaxWait.Seconds() || wait["default"] != DefaultWait.Seconds() || wait["minimum"] != 0.0 {
		t.Errorf("Consistency.maxWaitSeconds: minimum %v, maximum %v, default %v; the server takes 0 to %v, default %v",
			wait["minimum"], wait["maximum"], wait["default"], MaxWait.Seconds(), DefaultWait.Seconds())
	}
	// Every component schema says what it is.
	for name, s := range jsonObject(jsonAt(d.root, "components", "schemas")) {
		if jsonObject(s)["description"] == nil {
			t.Errorf("components.schemas.%s: no description", name)
		}
	}
	// The bearer token is asked for everywhere but the probes.
	if jsonAt(d.root, "components", "securitySchemes", "bearerAuth", "scheme") != "bearer" ||
		!reflect.DeepEqual(jsonAt(d.root, "security"), []any{map[string]any{"bearerAuth": []any{}}}) {
		t.Errorf("security: want the bearerAuth (http bearer) scheme required by default")
	}
}

func keysOf[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// docsErrorTable is the error table of docs/decision-server.md: code →
// status.
func docsErrorTable(t *testing.T) map[string]int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "decision-server.md"))
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| (\\d{3}) \\| `([a-z_]+)` \\|")
	out := map[string]int{}
	for _, m := range row.FindAllStringSubmatch(string(b), -1) {
		out[m[2]], _ = strconv.Atoi(m[1])
	}
	return out
}

// unreadableCache is a cache that cannot list, and holds no Tenant.
type unreadableCache struct{}

func (unreadableCache) Get(_ context.Context, key client.ObjectKey, _ client.Object, _ ...client.GetOption) error {
	return apierrors.NewNotFound(schema.GroupResource{Group: accessv1.GroupVersion.Group, Resource: "tenants"}, key.Name)
}

func (unreadableCache) List(context.Context, client.ObjectList, ...client.ListOption) error {
	return errors.New("the cache is gone")
}

// TestOpenAPIErrors: the document's error codes are exactly the package's
// Code* constants, each with the status the server answers it with (each
// provoked here through Handler) and docs/decision-server.md's table
// gives; each endpoint documents every status it may answer; retryable
// are exactly the 503s.
func TestOpenAPIErrors(t *testing.T) {
	d := loadOpenAPI(t)
	codes := sourceErrorCodes(t)
	enum := jsonStrings(jsonAt(d.root, "components", "schemas", "ErrorCode", "enum"))
	xerrors := jsonObject(jsonAt(d.root, "components", "schemas", "ErrorCode", "x-errors"))
	if !sameStrings(enum, slices.Collect(keysOf(codes))) || !sameStrings(enum, slices.Collect(keysOf(xerrors))) {
		t.Errorf("ErrorCode: enum %v and x-errors %v, the package's Code* constants %v: describe each code in both",
			enum, slices.Sorted(keysOf(xerrors)), slices.Sorted(keysOf(codes)))
	}
	docs := docsErrorTable(t)

	// A request that provokes each code.
	big := bytes.Repeat([]byte("a"), maxBody)
	tooMany := `{"questions":[` + strings.TrimSuffix(strings.Repeat(`{},`, MaxBatch+1), ",") + `]}`
	q := `{"tenant":"northwind","user":"teresa@northwind.example","capability":"reports.access"`
	type call struct {
		auth         bool // through an Auth that knows the token "good" and allows nothing
		synced       bool
		method, path string
		token, body  string
	}
	provoke := map[string]call{
		CodeInvalidRequest:   {synced: true, method: "POST", path: "/v1/check", body: `{"tenant":"northwind","ownr":"jim@northwind.example"}`},
		CodeTooManyQuestions: {synced: true, method: "POST", path: "/v1/batch-check", body: tooMany},
		CodeRequestTooLarge:  {synced: true, method: "POST", path: "/v1/check", body: `{"tenant":"` + string(big) + `"}`},
		CodeMethodNotAllowed: {synced: true, method: "GET", path: "/v1/check"},
		CodeNotFound:         {synced: true, method: "POST", path: "/v1/nope", body: q + "}"},
		CodeNotReady:         {synced: false, method: "POST", path: "/v1/check", body: q + "}"},
		CodeInternal:         {synced: true, method: "POST", path: "/v1/check", body: q + "}"},
		CodeNotConverged: {synced: true, method: "POST", path: "/v1/check",
			body: q + `,"consistency":{"afterWrite":{"kind":"Member","resourceVersion":"999999999"},"maxWaitSeconds":0}}`},
		CodeUnauthenticated: {auth: true, synced: true, method: "POST", path: "/v1/check", body: q + "}"},
		CodeForbidden:       {auth: true, synced: true, method: "POST", path: "/v1/check", token: "good", body: q + "}"},
	}
	newServer := func(c call) http.Handler {
		o := Options{Reader: unreadableCache{}, Live: unreadableCache{}, Synced: func() bool { return c.synced }, Registerer: prometheus.NewRegistry()}
		if c.auth {
			o.Auth = &Auth{
				authn: authenticator.RequestFunc(func(r *http.Request) (*authenticator.Response, bool, error) {
					if r.Header.Get("Authorization") == "Bearer good" {
						return &authenticator.Response{User: &user.DefaultInfo{Name: "system:serviceaccount:app:crm"}}, true, nil
					}
					return nil, false, nil
				}),
				authz: authorizer.AuthorizerFunc(func(context.Context, authorizer.Attributes) (authorizer.Decision, string, error) {
					return authorizer.DecisionDeny, "", nil
				}),
			}
		}
		s, err := New(o)
		if err != nil {
			t.Fatal(err)
		}
		return s.Handler()
	}
	for _, code := range slices.Sorted(keysOf(codes)) {
		x := jsonObject(xerrors[code])
		status, _ := x["status"].(float64)
		retryable, isBool := x["retryable"].(bool)
		switch {
		case x == nil:
			continue // reported above
		case !isBool || x["description"] == nil:
			t.Errorf("x-errors.%s: give status, retryable and description", code)
		case retryable != (status == http.StatusServiceUnavailable):
			t.Errorf("x-errors.%s: retryable %v with status %v: the 503s are what a client asks again", code, retryable, status)
		}
		if docs[code] != int(status) {
			t.Errorf("%s: status %v in %s, %d in docs/decision-server.md's error table (0: not there)", code, status, openAPIFile, docs[code])
		}
		c, ok := provoke[code]
		if !ok {
			t.Errorf("%s (%s): add a request that provokes it to this test's provoke table", code, codes[code])
			continue
		}
		req := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		rec := httptest.NewRecorder()
		newServer(c).ServeHTTP(rec, req)
		var e Error
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Code != code || rec.Code != int(status) {
			t.Errorf("%s: the server answered %d %.200s; the document says %v", code, rec.Code, rec.Body.String(), status)
		}
		if code == CodeNotFound {
			continue // no documented path answers it
		}
		// Every endpoint may answer it: each documents its status, and the
		// response's description names the code.
		for _, ep := range openAPIEndpoints {
			r := jsonObject(jsonAt(d.root, "paths", ep.path, "post", "responses", strconv.Itoa(int(status))))
			if ref, ok := r["$ref"].(string); ok {
				name, _ := strings.CutPrefix(ref, "#/components/responses/")
				r = jsonObject(jsonAt(d.root, "components", "responses", name))
			}
			if !strings.Contains(fmt.Sprint(r["description"]), "`"+code+"`") {
				t.Errorf("%s: its %v response does not name `%s` (%v)", ep.path, status, code, r["description"])
			}
		}
	}
	for code := range docs {
		if _, ok := codes[code]; !ok {
			t.Errorf("docs/decision-server.md's error table has %s, which the package does not define", code)
		}
	}
}

// TestOpenAPIRoutes: every route of Handler is a path of the document and
// every path of the document is served (not not_found).
func TestOpenAPIRoutes(t *testing.T) {
	d := loadOpenAPI(t)
	paths := jsonObject(jsonAt(d.root, "paths"))
	found := sourceRoutes(t)
	if len(found) == 0 {
		t.Fatal("found no Handle or HandleFunc calls in the package's source")
	}
	for _, r := range found {
		if r == "/" {
			continue // the catch-all: not_found
		}
		if _, ok := paths[r]; !ok {
			t.Errorf("Handler serves %s, which %s does not describe", r, openAPIFile)
		}
	}
	s, err := New(Options{Reader: unreadableCache{}, Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	var documented []string
	for p, item := range paths {
		documented = append(documented, p)
		for method := range jsonObject(item) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(strings.ToUpper(method), p, strings.NewReader("{}")))
			if rec.Code == http.StatusNotFound {
				t.Errorf("%s %s: the document describes it, the server answers 404 %s", strings.ToUpper(method), p, rec.Body)
			}
		}
	}
	slices.Sort(documented)
	for _, p := range documented {
		if !slices.Contains(found, p) {
			t.Errorf("%s: described, but no Handle or HandleFunc of the package's source routes it", p)
		}
	}
}
