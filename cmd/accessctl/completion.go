package main

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
	"github.com/tenancy-dev/access-controller/internal/live"
	"github.com/tenancy-dev/access-controller/internal/manifest"
	"github.com/tenancy-dev/access-controller/internal/question"
)

// Shell completion. accessctl's is cobra's: `accessctl completion bash`
// (zsh, fish, powershell) prints a script that calls `accessctl __complete
// WORDS...`. kubectl access's is kubectl's: kubectl calls
// kubectl_complete-access WORDS..., which is the same __complete. Either
// way the values of the flags below are completed here, those that name
// something from the inputs (--tenant, --user, ...) from the -f manifests
// or, without -f, from the live cluster, when it answers quickly.

// completionTimeout bounds what completion waits for a live cluster: a
// shell waiting on <TAB> is worse than no suggestion.
const completionTimeout = 5 * time.Second

// isCompletionRequest says whether args ask cobra for completions.
func isCompletionRequest(args []string) bool {
	return len(args) > 0 && (args[0] == cobra.ShellCompRequestCmd || args[0] == cobra.ShellCompNoDescRequestCmd)
}

// flagCompletions complete a flag's value, by the flag's name, wherever a
// command has it. The functions read what they need from the command's
// parsed flags, so they hold nothing of a run.
var flagCompletions = map[string]cobra.CompletionFunc{
	"tenant":     completeTenants,
	"namespace":  completeNamespaces,
	"user":       completeUsers,
	"owner":      completeOwners,
	"context":    completeContexts,
	"progress":   fixed(progressModes),
	"action":     fixed(actionNames()),
	"visibility": fixed(visibilityNames()),
	"fail-on":    fixed(failOn),
	"output":     completeOutput,
}

// registerCompletions registers flagCompletions on every command of the
// tree. Cobra keeps them in a map of its own for the life of the process,
// so this is done only for a completion request (isCompletionRequest).
func registerCompletions(cmd *cobra.Command) {
	for name, f := range flagCompletions {
		if cmd.Flags().Lookup(name) != nil {
			_ = cmd.RegisterFlagCompletionFunc(name, f)
		}
	}
	for _, sub := range cmd.Commands() {
		registerCompletions(sub)
	}
}

// fixed completes one of values.
func fixed(values []string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return matching(values, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

func actionNames() []string {
	out := make([]string, 0, len(question.Actions))
	for _, a := range question.Actions {
		out = append(out, string(a))
	}
	return out
}

func visibilityNames() []string {
	out := make([]string, 0, len(question.Visibilities))
	for _, v := range question.Visibilities {
		out = append(out, string(v))
	}
	return out
}

// completeOutput offers the -o formats of the command.
func completeOutput(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	formats := []string{"text", "json"}
	if cmd.Name() == "render" {
		formats = []string{"yaml", "json"}
	}
	return matching(formats, toComplete), cobra.ShellCompDirectiveNoFileComp
}

// completeContexts offers the contexts of the kubeconfig.
func completeContexts(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	kubeconfig, _ := cmd.Flags().GetString("kubeconfig")
	names, err := live.Contexts(kubeconfig)
	if err != nil {
		cobra.CompDebugln("contexts: "+err.Error(), false)
	}
	return matching(names, toComplete), cobra.ShellCompDirectiveNoFileComp
}

// completeTenants offers the Tenants' names, described by their display
// names.
func completeTenants(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	k := openCatalog(cmd)
	defer k.close()
	var out []cobra.Completion
	for _, t := range k.tenants() {
		if strings.HasPrefix(t.Name, toComplete) {
			out = append(out, cobra.CompletionWithDesc(t.Name, t.Spec.DisplayName))
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeNamespaces offers the Tenants' namespaces, described by the
// Tenant's name.
func completeNamespaces(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	k := openCatalog(cmd)
	defer k.close()
	var out []cobra.Completion
	for _, t := range k.tenants() {
		if ns := t.NamespaceOrDefault(); strings.HasPrefix(ns, toComplete) {
			out = append(out, cobra.CompletionWithDesc(ns, "tenant "+t.Name))
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeUsers offers check's users: every user with an
// EffectivePermission in the tenant (its members and the partner people
// working in it), or, before --tenant is given, every Member's e-mail.
// reach's --user is one of the partner tenant's members.
func completeUsers(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if cmd.Name() == "reach" {
		return completeOwners(cmd, args, toComplete)
	}
	k := openCatalog(cmd)
	defer k.close()
	tenant, _ := k.tenantOfFlags(cmd)
	if tenant == "" {
		return k.memberCompletions("", toComplete), cobra.ShellCompDirectiveNoFileComp
	}
	var out []cobra.Completion
	for _, ep := range k.effectivePermissions(tenant) {
		if hasPrefixFold(ep.Spec.User, toComplete) {
			out = append(out, cobra.CompletionWithDesc(ep.Spec.User, describeEP(&ep)))
		}
	}
	slices.Sort(out)
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeOwners offers the e-mails of the tenant's Members (every
// Member's before --tenant is given).
func completeOwners(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	k := openCatalog(cmd)
	defer k.close()
	_, ns := k.tenantOfFlags(cmd)
	return k.memberCompletions(ns, toComplete), cobra.ShellCompDirectiveNoFileComp
}

func describeEP(ep *accessv1.EffectivePermission) string {
	d := string(ep.Spec.AccountRole)
	if ep.Spec.Partner != "" {
		d += " from " + ep.Spec.Partner
	}
	if !ep.Spec.Active {
		d += ", inactive"
	}
	return d
}

// matching are the values that start with toComplete.
func matching(values []string, toComplete string) []cobra.Completion {
	var out []cobra.Completion
	for _, v := range values {
		if strings.HasPrefix(v, toComplete) {
			out = append(out, v)
		}
	}
	return out
}

// hasPrefixFold matches e-mails, which are compared in any case.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// catalog is where completion finds names: the -f manifests (rendered by
// the engine), or the live cluster, or nothing (accessctl without -f).
// Every failure means nothing to offer; cobra's debug log
// (BASH_COMP_DEBUG_FILE) says why.
type catalog struct {
	// offline
	set *manifest.Set
	res *engine.Result
	// live
	ctx    context.Context
	cancel context.CancelFunc
	c      client.Reader
	cached []accessv1.Tenant
}

// openCatalog reads the inputs the command's flags name, as the command
// would, but only what completion needs: manifests from files (not
// stdin, which is the shell's), and from a cluster the lists it asks for.
func openCatalog(cmd *cobra.Command) *catalog {
	in := &inputs{}
	f := cmd.Flags()
	files, _ := f.GetStringSlice("filename")
	in.filenames = slices.DeleteFunc(files, func(s string) bool { return s == "-" })
	in.target.Kubeconfig, _ = f.GetString("kubeconfig")
	in.target.Context, _ = f.GetString("context")
	in.target.As, _ = f.GetString("as")
	in.target.AsGroups, _ = f.GetStringSlice("as-group")
	k := &catalog{}
	switch {
	case len(in.filenames) > 0:
		set, err := manifest.LoadFrom(strings.NewReader(""), in.filenames...)
		if err != nil {
			cobra.CompDebugln("reading the manifests: "+err.Error(), false)
			return k
		}
		now := time.Now()
		if s, _ := f.GetString("now"); s != "" {
			if t, err := time.Parse(time.RFC3339, s); err == nil {
				now = t
			}
		}
		k.set, k.res = set, engine.Compute(&set.Snapshot, now)
	case len(files) == 0 && (in.clusterFlags() || isPlugin(cmd)):
		c, err := in.client(completionTimeout)
		if err != nil {
			cobra.CompDebugln(err.Error(), false)
			return k
		}
		k.c = c
		k.ctx, k.cancel = context.WithTimeout(context.Background(), completionTimeout)
	}
	return k
}

func (k *catalog) close() {
	if k.cancel != nil {
		k.cancel()
	}
}

// list lists from the live cluster; a failure lists nothing.
func (k *catalog) list(l client.ObjectList, opts ...client.ListOption) bool {
	if err := k.c.List(k.ctx, l, opts...); err != nil {
		cobra.CompDebugln("listing: "+err.Error(), false)
		return false
	}
	return true
}

// tenants are the Tenants, sorted by name.
func (k *catalog) tenants() []accessv1.Tenant {
	switch {
	case k.set != nil && k.cached == nil:
		k.cached = slices.Clone(k.set.Snapshot.Tenants)
		slices.SortFunc(k.cached, func(a, b accessv1.Tenant) int { return strings.Compare(a.Name, b.Name) })
	case k.c != nil && k.cached == nil:
		var l accessv1.TenantList
		if k.list(&l) {
			k.cached = l.Items
		}
	}
	return k.cached
}

// tenantOfFlags is the tenant --tenant or -n/--namespace names (-n:
// the Tenant of that namespace), and its namespace; "" when neither is
// given or the tenant is not found.
func (k *catalog) tenantOfFlags(cmd *cobra.Command) (tenant, ns string) {
	name, _ := cmd.Flags().GetString("tenant")
	namespace, _ := cmd.Flags().GetString("namespace")
	for _, t := range k.tenants() {
		if (name != "" && t.Name == name) || (name == "" && namespace != "" && t.NamespaceOrDefault() == namespace) {
			return t.Name, t.NamespaceOrDefault()
		}
	}
	return "", ""
}

// members are the Members of namespace ns ("": every namespace).
func (k *catalog) members(ns string) []accessv1.Member {
	if k.set != nil {
		var out []accessv1.Member
		for _, m := range k.set.Snapshot.Members {
			if ns == "" || m.Namespace == ns {
				out = append(out, *m)
			}
		}
		return out
	}
	if k.c == nil {
		return nil
	}
	var l accessv1.MemberList
	if !k.list(&l, client.InNamespace(ns)) {
		return nil
	}
	return l.Items
}

// memberCompletions offers the e-mails of the Members of ns ("": all),
// each once, described by the Member's namespace/name.
func (k *catalog) memberCompletions(ns, toComplete string) []cobra.Completion {
	var out []cobra.Completion
	seen := map[string]bool{}
	for _, m := range k.members(ns) {
		email := strings.ToLower(m.Spec.Email)
		if seen[email] || !hasPrefixFold(m.Spec.Email, toComplete) {
			continue
		}
		seen[email] = true
		out = append(out, cobra.CompletionWithDesc(m.Spec.Email, m.Namespace+"/"+m.Name))
	}
	slices.Sort(out)
	return out
}

// effectivePermissions are the tenant's: the render of the manifests, or
// the controller's in the tenant's namespace.
func (k *catalog) effectivePermissions(tenant string) []accessv1.EffectivePermission {
	var all []accessv1.EffectivePermission
	switch {
	case k.res != nil:
		all = k.res.EffectivePermissions
	case k.c != nil:
		var l accessv1.EffectivePermissionList
		ns := tenant
		for _, t := range k.tenants() {
			if t.Name == tenant {
				ns = t.NamespaceOrDefault()
			}
		}
		if k.list(&l, client.InNamespace(ns)) {
			all = l.Items
		}
	}
	var out []accessv1.EffectivePermission
	for _, ep := range all {
		if ep.Spec.Tenant == tenant {
			out = append(out, ep)
		}
	}
	return out
}
