package manifest

import (
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

const head = "apiVersion: access.tenancy.dev/v1alpha1\n"

func TestDecode(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string // refs, then ":line"
		wantErr string
	}{{
		name: "one object",
		in:   head + "kind: Member\nmetadata: {name: alice, namespace: acme}\nspec: {email: alice@acme.example}\n",
		want: []string{"Member acme/alice:1"},
	}, {
		name: "multi-document with comments and empty documents",
		in: "# leading comment\n---\n" + head + "kind: Tenant\nmetadata: {name: acme}\n---\n---\n# only a comment\n--- # separator comment\n" +
			head + "kind: Role\nmetadata: {name: sales, namespace: acme}\n",
		want: []string{"Tenant acme:3", "Role acme/sales:10"},
	}, {
		name: "empty file",
		in:   "",
	}, {
		name: "cluster-scoped Tenant is named without its namespace",
		in:   head + "kind: Tenant\nmetadata: {name: acme, namespace: ignored}\n",
		want: []string{"Tenant acme:1"},
	}, {
		name: "v1 List",
		in: "apiVersion: v1\nkind: List\nmetadata: {}\nitems:\n- " + strings.TrimSuffix(head, "\n") + "\n  kind: Tenant\n  metadata: {name: acme}\n" +
			"- {apiVersion: access.tenancy.dev/v1alpha1, kind: PermissionSet, metadata: {name: p, namespace: acme}}\n",
		want: []string{"Tenant acme:1", "PermissionSet acme/p:1"},
	}, {
		name: "empty v1 List",
		in:   "apiVersion: v1\nkind: List\nitems: []\n",
	}, {
		name:    "unknown kind",
		in:      head + "kind: Person\nmetadata: {name: alice, namespace: acme}\n",
		wantErr: `f.yaml: Person acme/alice: unknown kind "Person": want one of Tenant, Member, Role, PermissionSet, PartnerAccess, VisibilityPolicy, EffectivePermission`,
	}, {
		name:    "unknown version of the group",
		in:      "apiVersion: access.tenancy.dev/v1\nkind: Member\nmetadata: {name: alice, namespace: acme}\n",
		wantErr: `f.yaml: Member acme/alice: unknown apiVersion "access.tenancy.dev/v1": want access.tenancy.dev/v1alpha1`,
	}, {
		name:    "another API's object",
		in:      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, namespace: acme}\n",
		wantErr: `f.yaml: ConfigMap acme/cm: unknown apiVersion "v1" (kind "ConfigMap"): accessctl reads access.tenancy.dev/v1alpha1 objects and v1 Lists of them`,
	}, {
		name:    "meta kind registered in the scheme is no manifest",
		in:      head + "kind: ListOptions\n",
		wantErr: `f.yaml: document 1 (line 1): unknown kind "ListOptions": want one of Tenant, Member, Role, PermissionSet, PartnerAccess, VisibilityPolicy, EffectivePermission`,
	}, {
		name:    "typed list",
		in:      head + "kind: MemberList\nitems: []\n",
		wantErr: `f.yaml: document 1 (line 1): kind "MemberList" is not read: use kind: List (apiVersion: v1) with items, or one object per document`,
	}, {
		name:    "unknown field",
		in:      head + "kind: Member\nmetadata: {name: alice, namespace: acme}\nspec: {emial: alice@acme.example}\n",
		wantErr: `f.yaml: Member acme/alice: unknown field "spec.emial"`,
	}, {
		name: "unknown fields in a list and in status, all named",
		in: head + "kind: PartnerAccess\nmetadata: {name: agency-x, namespace: acme}\n" +
			"spec: {partner: agency-x, approvedBy: c@acme.example, partnerAdmins: [{email: d@x.example}, {emial: e@x.example}]}\nstatus: {phaze: Active}\n",
		wantErr: `f.yaml: PartnerAccess acme/agency-x: unknown field "spec.partnerAdmins[1].emial", unknown field "status.phaze"`,
	}, {
		name:    "duplicate field",
		in:      head + "kind: Member\nmetadata: {name: alice, namespace: acme}\nspec:\n  email: a@acme.example\n  role: ceo\n  email: b@acme.example\n",
		wantErr: `f.yaml: Member acme/alice: duplicate field "spec.email"`,
	}, {
		name: "duplicate field in a list item",
		in: head + "kind: PermissionSet\nmetadata: {name: p, namespace: acme}\nspec:\n  objects:\n  - types: [deals]\n    actions: [view]\n" +
			"  - types: [leads]\n    actions: [view]\n    types: [contacts]\n",
		wantErr: `f.yaml: PermissionSet acme/p: duplicate field "spec.objects[1].types"`,
	}, {
		name:    "duplicate field inside a List",
		in:      "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: access.tenancy.dev/v1alpha1, kind: Tenant, metadata: {name: a, name: b}}\n",
		wantErr: `f.yaml: document 1 (line 1): duplicate field "items[0].metadata.name"`,
	}, {
		name:    "bad YAML, line counted from the top of the file",
		in:      head + "kind: Tenant\nmetadata: {name: a}\n---\n" + head + "kind: Tenant\nmetadata: {name: [b\n",
		wantErr: `f.yaml: document 2 (line 5): invalid YAML: line 7: did not find expected ',' or ']'`,
	}, {
		name:    "tab indentation",
		in:      head + "kind: Tenant\nmetadata:\n\tname: a\n",
		wantErr: `f.yaml: document 1 (line 1): invalid YAML: line 4: found character that cannot start any token`,
	}, {
		name:    "invalid separator",
		in:      head + "kind: Tenant\nmetadata: {name: a}\n--- kind: Tenant\n",
		wantErr: `f.yaml: line 4: invalid document separator "--- kind: Tenant": only a comment may follow ---`,
	}, {
		name:    "wrong type",
		in:      head + "kind: Member\nmetadata: {name: alice, namespace: acme}\nspec: {email: a@acme.example, permissionSets: sales-rep}\n",
		wantErr: `f.yaml: Member acme/alice: field "spec.permissionSets": want a list, got a string`,
	}, {
		name:    "metadata of the wrong type",
		in:      head + "kind: Member\nmetadata: [alice]\n",
		wantErr: `f.yaml: document 1 (line 1): field "metadata": want v1.ObjectMeta, got a list`,
	}, {
		name:    "scalar document",
		in:      "just text\n",
		wantErr: `f.yaml: document 1 (line 1): a document must be a mapping with apiVersion, kind, metadata and spec`,
	}, {
		name:    "missing kind",
		in:      head + "metadata: {name: a}\n",
		wantErr: `f.yaml: document 1 (line 1): missing kind`,
	}, {
		name:    "missing apiVersion",
		in:      "kind: Tenant\nmetadata: {name: a}\n",
		wantErr: `f.yaml: Tenant a: missing apiVersion`,
	}, {
		name:    "missing name",
		in:      head + "kind: Role\nmetadata: {namespace: acme}\n",
		wantErr: `f.yaml: document 1 (line 1): Role: metadata.name is required`,
	}, {
		name:    "missing namespace",
		in:      head + "kind: Member\nmetadata: {name: x}\nspec: {email: x@acme.example}\n",
		wantErr: `f.yaml: Member x: metadata.namespace is required: write the namespace of its tenant`,
	}, {
		name:    "List with an unknown field",
		in:      "apiVersion: v1\nkind: List\nitemz: []\n",
		wantErr: `f.yaml: List document 1 (line 1): unknown field "itemz"`,
	}, {
		name:    "List with a null item",
		in:      "apiVersion: v1\nkind: List\nitems: [null]\n",
		wantErr: `f.yaml: document 1 (line 1): items[0]: empty item`,
	}, {
		name:    "List item with an unknown field",
		in:      "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: access.tenancy.dev/v1alpha1, kind: Tenant, metadata: {name: a}, spec: {dispayName: A}}\n",
		wantErr: `f.yaml: Tenant a: unknown field "spec.dispayName"`,
	}, {
		name:    "List item without a name",
		in:      "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: access.tenancy.dev/v1alpha1, kind: Tenant}\n",
		wantErr: `f.yaml: document 1 (line 1): items[0]: Tenant: metadata.name is required`,
	}, {
		name:    "nested List",
		in:      "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: List, items: []}\n",
		wantErr: `f.yaml: document 1 (line 1): items[0]: unknown apiVersion "v1" (kind "List"): accessctl reads access.tenancy.dev/v1alpha1 objects and v1 Lists of them`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := Decode("f.yaml", []byte(tt.in))
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("Decode() = %d objects, want error %q", len(objs), tt.wantErr)
				}
				if got := err.Error(); got != tt.wantErr {
					t.Fatalf("Decode() error\n got %s\nwant %s", got, tt.wantErr)
				}
				if _, ok := err.(*InputError); !ok {
					t.Errorf("Decode() error is %T, want *InputError", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode() error: %v", err)
			}
			var got []string
			for _, o := range objs {
				if o.File != "f.yaml" {
					t.Errorf("%s: File = %q", o.Ref, o.File)
				}
				got = append(got, o.Ref.String()+":"+itoa(o.Line))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Decode() objects (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDecodeAppliesNoDefaults: what the user left out stays out, so the
// engine applies the defaults (and reports what is missing) exactly as the
// controller does after admission.
func TestDecodeAppliesNoDefaults(t *testing.T) {
	objs, err := Decode("f.yaml", []byte(head+"kind: Member\nmetadata: {name: alice, namespace: acme}\nspec: {email: Alice@Acme.example}\n"))
	if err != nil {
		t.Fatal(err)
	}
	m := objs[0].Resource.(*accessv1.Member)
	want := accessv1.MemberSpec{Email: "Alice@Acme.example"}
	if diff := cmp.Diff(want, m.Spec); diff != "" {
		t.Errorf("spec (-want +got):\n%s", diff)
	}
	if m.Kind != "Member" || m.APIVersion != "access.tenancy.dev/v1alpha1" {
		t.Errorf("TypeMeta = %+v, want it as written", m.TypeMeta)
	}
}

func TestSplitDocuments(t *testing.T) {
	docs, err := splitDocuments([]byte("a: 1\n---\n\n---   \nb: 2\r\n---\r\nc: 3"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range docs {
		got = append(got, itoa(d.line)+"|"+string(d.data))
	}
	want := []string{"1|a: 1\n", "3|\n", "5|b: 2\r\n", "7|c: 3"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("splitDocuments (-want +got):\n%s", diff)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
