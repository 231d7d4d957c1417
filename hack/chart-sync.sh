#!/usr/bin/env bash
# chart-sync.sh: copy what the Helm chart renders from config/ into
# dist/chart/files/ (or DIR), byte for byte: the CRDs and the manager's
# ClusterRole and webhook configuration that `make manifests` generates, the
# rest of config/rbac, the decision server's RBAC and the alerts of
# config/prometheus. The chart's templates
# read these copies (.Files), rename them and set their namespace as
# config/default's kustomization does, so the chart never carries a
# hand-kept second copy of them. TestChartFilesInSync fails when they drift:
# run this script (or `make chart-sync`) after `make manifests` and commit.
#
#   hack/chart-sync.sh [DIR]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${1:-$ROOT/dist/chart/files}

rm -rf "$OUT"
mkdir -p "$OUT/crd" "$OUT/rbac" "$OUT/webhook" "$OUT/decision-server" "$OUT/prometheus"
cp "$ROOT"/config/crd/bases/*.yaml "$OUT/crd/"
for f in "$ROOT"/config/rbac/*.yaml; do
	[[ $(basename "$f") == kustomization.yaml ]] || cp "$f" "$OUT/rbac/"
done
cp "$ROOT/config/webhook/manifests.yaml" "$OUT/webhook/"
cp "$ROOT/config/prometheus/base/rules.yaml" "$OUT/prometheus/"
for f in service_account.yaml role.yaml role_binding.yaml auth_delegator_role_binding.yaml; do
	cp "$ROOT/config/decision-server/$f" "$OUT/decision-server/"
done
