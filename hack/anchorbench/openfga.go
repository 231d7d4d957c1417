package anchorbench

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	openfgav1 "github.com/openfga/api/proto/openfga/v1"
	"github.com/openfga/language/pkg/go/transformer"
	"github.com/openfga/openfga/pkg/server"
	"github.com/openfga/openfga/pkg/storage"
	"github.com/openfga/openfga/pkg/storage/memory"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/hack/decisionbench"
)

// FGAModel is decisionbench's OpenFGA model with partner staff added: a
// tenant's partner_staff (withheld the capabilities never granted to
// partner people, like partner admins). A staff grant's actions and
// capabilities are a PermissionSet of the client written for that person
// ("permset:client/staff.<e-mail>"), after the admin's ceiling, as the
// tuple writer resolves partner admin validity and approval already.
func FGAModel() string {
	m := decisionbench.Model(decisionbench.Types)
	for _, r := range [][2]string{
		{"    define partner_admin_billing: billing_admin from partner_access\n", "    define partner_admin_billing: billing_admin from partner_access\n    define partner_staff: [user]\n"},
		{"define withheld: [tenant#partner_admin]", "define withheld: [tenant#partner_admin, tenant#partner_staff]"},
	} {
		if strings.Count(m, r[0]) != 1 {
			panic(fmt.Sprintf("anchorbench: decisionbench's model no longer has %q once", r[0]))
		}
		m = strings.Replace(m, r[0], r[1], 1)
	}
	return m
}

var fgaAction = map[accessv1.Action]string{
	accessv1.ActionView: "view", accessv1.ActionCreate: "create", accessv1.ActionEdit: "edit",
	accessv1.ActionDelete: "delete", accessv1.ActionExport: "export", accessv1.ActionViewAll: "view_all",
	accessv1.ActionModifyAll: "modify_all",
}

// FGATuples are decisionbench's tuples of the world and the staff grants',
// less the records' (each record's tenant, type and owner), which every
// record question sends as contextual tuples instead (recordTuples): the
// memory datastore scans every stored tuple on each read, and the records'
// are three quarters of them (at 10k users, stored, a check took about
// 0.3 s). The application knows them as it knows the owner, owner role and
// owner activity it hands pkg/check and Casbin.
func (b *Bench) FGATuples() []decisionbench.Tuple {
	var out []decisionbench.Tuple
	for _, t := range b.World.Tuples(decisionbench.Types) {
		if !isRecordTuple(t) {
			out = append(out, t)
		}
	}
	tn := decisionbench.ClientTenant
	add := func(user, relation, object string) {
		out = append(out, decisionbench.Tuple{User: user, Relation: relation, Object: object})
	}
	for _, c := range neverGrantedPartners {
		add("tenant:"+tn+"#partner_staff", "withheld", "capability:"+tn+"/"+c)
	}
	for _, s := range b.Staff {
		set := "permset:" + tn + "/staff." + s.Email
		add("user:"+s.Email, "partner_staff", "tenant:"+tn)
		add("user:"+s.Email, "member", set)
		for _, o := range s.Objects {
			for _, typ := range expandTypes(o.Types) {
				for _, a := range o.Actions {
					add(set+"#member", "g_"+fgaAction[a], "objecttype:"+tn+"/"+typ)
				}
			}
		}
		for _, c := range s.Capabilities {
			add(set+"#member", "granted", "capability:"+tn+"/"+c)
		}
	}
	return out
}

// isRecordTuple reports whether t is one of a record's three tuples.
func isRecordTuple(t decisionbench.Tuple) bool {
	typ, _, ok := strings.Cut(t.Object, ":")
	return ok && slices.Contains(decisionbench.Types, typ) && (t.Relation == "tenant" || t.Relation == "objtype" || t.Relation == "owner")
}

// recordTuples are the tuples decisionbench writes for the record of typ
// owned by owner in tenant.
func recordTuples(tenant, typ, owner string) []*openfgav1.TupleKey {
	rec := decisionbench.RecordObject(tenant, typ, owner)
	return []*openfgav1.TupleKey{
		{User: "tenant:" + tenant, Relation: "tenant", Object: rec},
		{User: "objecttype:" + tenant + "/" + typ, Relation: "objtype", Object: rec},
		{User: "member:" + tenant + "/" + owner, Relation: "owner", Object: rec},
	}
}

// FGAStore is the world in OpenFGA's memory datastore: one store and
// model, shared by every server configuration.
type FGAStore struct {
	DS      storage.OpenFGADatastore
	StoreID string
	Model   *openfgav1.AuthorizationModel
	Tuples  int
	Load    time.Duration
}

// writeBatch is how many tuples go to the datastore per write. The memory
// datastore compares every written tuple with every stored one, so loading
// costs the square of the tuples whatever the batch.
const writeBatch = 1000

// LoadFGA writes the model and the tuples into a new memory datastore.
// Tuples go to the datastore directly (the server's Write takes 100 at a
// time and validates each against the model; decisionbench writes the same
// tuples through the server and holds them to identical verdicts).
func (b *Bench) LoadFGA(ctx context.Context) (*FGAStore, error) {
	model, err := transformer.TransformDSLToProto(FGAModel())
	if err != nil {
		return nil, fmt.Errorf("the OpenFGA model does not parse: %w", err)
	}
	ds := memory.New(memory.WithMaxTuplesPerWrite(writeBatch))
	s, err := server.NewServerWithOpts(server.WithDatastore(ds))
	if err != nil {
		return nil, err
	}
	defer s.Close()
	store, err := s.CreateStore(ctx, &openfgav1.CreateStoreRequest{Name: "anchorbench"})
	if err != nil {
		return nil, err
	}
	wm, err := s.WriteAuthorizationModel(ctx, &openfgav1.WriteAuthorizationModelRequest{StoreId: store.GetId(),
		TypeDefinitions: model.GetTypeDefinitions(), SchemaVersion: model.GetSchemaVersion(), Conditions: model.GetConditions()})
	if err != nil {
		return nil, fmt.Errorf("writing the model: %w", err)
	}
	model.Id = wm.GetAuthorizationModelId()
	tuples := b.FGATuples()
	start := time.Now()
	for chunk := range slices.Chunk(tuples, writeBatch) {
		keys := make([]*openfgav1.TupleKey, len(chunk))
		for i, t := range chunk {
			keys[i] = &openfgav1.TupleKey{User: t.User, Relation: t.Relation, Object: t.Object}
		}
		if err := ds.Write(ctx, store.GetId(), nil, keys); err != nil {
			return nil, fmt.Errorf("writing tuples: %w", err)
		}
	}
	return &FGAStore{DS: ds, StoreID: store.GetId(), Model: model, Tuples: len(tuples), Load: time.Since(start)}, nil
}

// FGA is one OpenFGA server configuration over the store.
type FGA struct {
	Name   string
	Server *server.Server
	store  *FGAStore
}

// NewFGA starts a server over the store: with the check query cache off
// (OpenFGA's default), or on with a TTL longer than the run and room for
// every sub-question, so that once warmed it answers repeated questions
// from memory.
func NewFGA(st *FGAStore, cache bool) (*FGA, error) {
	opts := []server.OpenFGAServiceV1Option{server.WithDatastore(st.DS)}
	name := "OpenFGA, cache off"
	if cache {
		name = "OpenFGA, check cache on (warm)"
		opts = append(opts, server.WithCheckQueryCacheEnabled(true), server.WithCheckQueryCacheTTL(time.Hour),
			server.WithCheckCacheLimit(1<<20))
	}
	s, err := server.NewServerWithOpts(opts...)
	if err != nil {
		return nil, err
	}
	return &FGA{Name: name, Server: s, store: st}, nil
}

func (f *FGA) prepare(qs []Question) []*openfgav1.CheckRequest {
	out := make([]*openfgav1.CheckRequest, len(qs))
	for i := range qs {
		t := qs[i].Tuple()
		out[i] = &openfgav1.CheckRequest{StoreId: f.store.StoreID, AuthorizationModelId: f.store.Model.GetId(),
			TupleKey: &openfgav1.CheckRequestTupleKey{User: t.User, Relation: t.Relation, Object: t.Object}}
		if q := &qs[i]; q.Kind() == "record" {
			out[i].ContextualTuples = &openfgav1.ContextualTupleKeys{TupleKeys: recordTuples(q.Tenant, q.Type, q.Owner)}
		}
	}
	return out
}

func (f *FGA) ask(ctx context.Context, req *openfgav1.CheckRequest) (bool, error) {
	res, err := f.Server.Check(ctx, req)
	if err != nil {
		return false, err
	}
	return res.GetAllowed(), nil
}
