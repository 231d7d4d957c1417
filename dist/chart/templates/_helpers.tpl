{{/*
The name prefix of every object: access-controller, as config/default's
namePrefix, unless fullnameOverride is set.
*/}}
{{- define "ac.prefix" -}}
{{- default "access-controller" .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{/* A name with the prefix: (include "ac.name" (list $ "webhook-service")). */}}
{{- define "ac.name" -}}
{{- printf "%s-%s" (include "ac.prefix" (index . 0)) (index . 1) -}}
{{- end -}}

{{/* The labels of every object. */}}
{{- define "ac.labels" -}}
app.kubernetes.io/name: access-controller
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* The labels every manager pod carries (the webhook and metrics Services' and the NetworkPolicy's selector). */}}
{{- define "ac.managerSelector" -}}
control-plane: controller-manager
app.kubernetes.io/name: access-controller
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* The labels every decision server pod carries. */}}
{{- define "ac.decisionSelector" -}}
app.kubernetes.io/name: access-controller
app.kubernetes.io/component: decision-server
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* image: (include "ac.image" (list $ .Values.manager.image)). */}}
{{- define "ac.image" -}}
{{- $root := index . 0 -}}{{- $img := index . 1 -}}
{{- printf "%s:%s" $img.repository (default $root.Chart.AppVersion $img.tag) -}}
{{- end -}}

{{/* The webhook Service's DNS name, which the serving certificate names. */}}
{{- define "ac.webhookDNSName" -}}
{{- printf "%s.%s.svc" (include "ac.name" (list . "webhook-service")) .Release.Namespace -}}
{{- end -}}

{{/* Fails unless exactly one source of the webhook certificate is chosen. */}}
{{- define "ac.checkCertSource" -}}
{{- if eq .Values.certManager.enabled .Values.selfSigned.enabled -}}
{{- fail "set exactly one of certManager.enabled (cert-manager issues the webhook certificate) and selfSigned.enabled (the manager makes and rotates it)" -}}
{{- end -}}
{{- end -}}

{{/*
ac.adopt renders one object of config/ (read from files/, copied there by
hack/chart-sync.sh) as config/default's kustomization would: the prefix on
its name (CRDs and system: names aside), on the names a binding refers to and
on the service account subjects, the release's namespace where it had one,
and the chart's labels beside its own. The rules' resourceNames name objects
with kustomize's prefix (access-controller-): they get the chart's.
Call with (dict "root" $ "obj" $obj).
*/}}
{{- define "ac.adopt" -}}
{{- $root := .root -}}{{- $o := .obj -}}
{{- $prefix := include "ac.prefix" $root -}}
{{- $meta := $o.metadata -}}
{{- if and (ne $o.kind "CustomResourceDefinition") (not (hasPrefix "system:" $meta.name)) -}}
{{- $_ := set $meta "name" (printf "%s-%s" $prefix $meta.name) -}}
{{- end -}}
{{- if hasKey $meta "namespace" -}}
{{- $_ := set $meta "namespace" $root.Release.Namespace -}}
{{- end -}}
{{- $_ := set $meta "labels" (mergeOverwrite (dict) (default (dict) $meta.labels) (include "ac.labels" $root | fromYaml)) -}}
{{- if $o.roleRef -}}
{{- if not (hasPrefix "system:" $o.roleRef.name) -}}
{{- $_ := set $o.roleRef "name" (printf "%s-%s" $prefix $o.roleRef.name) -}}
{{- end -}}
{{- end -}}
{{- range $o.subjects -}}
{{- if eq .kind "ServiceAccount" -}}
{{- $_ := set . "name" (printf "%s-%s" $prefix .name) -}}
{{- $_ := set . "namespace" $root.Release.Namespace -}}
{{- end -}}
{{- end -}}
{{- range $o.rules -}}
{{- if .resourceNames -}}
{{- $names := list -}}
{{- range .resourceNames -}}
{{- $names = append $names (printf "%s-%s" $prefix (trimPrefix "access-controller-" .)) -}}
{{- end -}}
{{- $_ := set . "resourceNames" $names -}}
{{- end -}}
{{- end -}}
{{- toYaml $o -}}
{{- end -}}

{{/*
ac.docs: the objects of one file of files/ (several YAML documents), as a list
of maps; comments and empty documents are dropped.
Call with (list $ "files/rbac/role.yaml").
*/}}
{{- define "ac.docs" -}}
{{- $root := index . 0 -}}{{- $path := index . 1 -}}
{{- $docs := list -}}
{{- range regexSplit "(?m)^---[ \t]*$" ($root.Files.Get $path) -1 -}}
{{- $o := fromYaml . -}}
{{- if and $o $o.kind -}}
{{- $docs = append $docs $o -}}
{{- end -}}
{{- end -}}
{{- toYaml (dict "docs" $docs) -}}
{{- end -}}

{{/*
The manager's Deployments: one for every tenant, or one per shard. Each is a
dict: name (Deployment name), shard (empty for the single manager), selector,
leaderElectionID, replicas, webhooks.
*/}}
{{- define "ac.managers" -}}
{{- $root := . -}}
{{- $out := list -}}
{{- if not .Values.shards -}}
{{- $out = append $out (dict "name" (include "ac.name" (list $root "controller-manager")) "shard" "" "selector" "" "leaderElectionID" "" "replicas" .Values.manager.replicas "webhooks" true) -}}
{{- else -}}
{{- $seen := dict -}}
{{- range .Values.shards -}}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" (toString .name)) -}}
{{- fail (printf "shards: each shard needs a name of lower-case letters, digits and dashes (got %q)" (toString .name)) -}}
{{- end -}}
{{- if hasKey $seen .name -}}
{{- fail (printf "shards: the name %q is used twice" .name) -}}
{{- end -}}
{{- $_ := set $seen .name true -}}
{{- if not .selector -}}
{{- fail (printf "shards: shard %q needs a selector (a label selector, e.g. region=eu)" .name) -}}
{{- end -}}
{{- $webhooks := true -}}
{{- if hasKey . "webhooks" -}}{{- $webhooks = .webhooks -}}{{- end -}}
{{- $replicas := $root.Values.manager.replicas -}}
{{- if hasKey . "replicas" -}}{{- $replicas = .replicas -}}{{- end -}}
{{- $out = append $out (dict "name" (include "ac.name" (list $root (printf "controller-manager-%s" .name))) "shard" .name "selector" .selector "leaderElectionID" (default (printf "%s.access-controller.access.tenancy.dev" .name) .leaderElectionID) "replicas" $replicas "webhooks" $webhooks) -}}
{{- end -}}
{{- end -}}
{{- toYaml (dict "managers" $out) -}}
{{- end -}}
