package engine

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestParseVia: each via the engine writes reads back as what was written.
func TestParseVia(t *testing.T) {
	own := viaOwnSet("agency-x", "pa-deals", "agency-x")
	for _, tc := range []struct {
		via  string
		want Via
	}{
		{viaAccountRole("SuperAdmin"), Via{Kind: ViaAccountRole, AccountRole: "SuperAdmin"}},
		{viaPermissionSet("sales-rep"), Via{Kind: ViaPermissionSet, PermissionSet: "sales-rep"}},
		{viaClientAccess("agency-x", "frank", "campaign-editor", "dave@agency-x.example"),
			Via{Kind: ViaClientAccess, Partner: "agency-x", Member: "frank", PermissionSet: "campaign-editor", GrantedBy: "dave@agency-x.example"}},
		{viaPartnerAdmin([]string{"agency-x"}, "agency-x"), Via{Kind: ViaPartnerAccess, Partner: "agency-x", PartnerAccesses: []string{"agency-x"}}},
		{viaPartnerAdmin([]string{"a", "b"}, "agency-x"), Via{Kind: ViaPartnerAccess, Partner: "agency-x", PartnerAccesses: []string{"a", "b"}}},
		{own, Via{Kind: ViaPartnerAccess, Partner: "agency-x", PartnerAccesses: []string{"agency-x"}, PermissionSet: "pa-deals"}},
		{viaModifyAll(own), Via{Kind: ViaModifyAll, Of: &Via{Kind: ViaPartnerAccess, Partner: "agency-x", PartnerAccesses: []string{"agency-x"}, PermissionSet: "pa-deals"}}},
		{viaViewAll(viaPermissionSet("reader")), Via{Kind: ViaViewAll, Of: &Via{Kind: ViaPermissionSet, PermissionSet: "reader"}}},
		{"hierarchy: below vp-sales", Via{Kind: "hierarchy"}},
		{"owner", Via{Kind: "owner"}},
	} {
		if diff := cmp.Diff(tc.want, ParseVia(tc.via)); diff != "" {
			t.Errorf("ParseVia(%q) (-want +got):\n%s", tc.via, diff)
		}
	}
	if got := ParseVia(viaViewAll(viaModifyAll(viaAccountRole("Admin")))).Source(); got.Kind != ViaAccountRole || got.AccountRole != "Admin" {
		t.Errorf("Source of a nested via: %+v", got)
	}
}
