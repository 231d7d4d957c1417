#!/usr/bin/env bash
# local-up.sh: run the controller and the decision server against a local
# control plane (`make run`).
#
# Starts etcd and kube-apiserver on loopback from the binaries in bin/
# (`make controlplane`), installs the CRDs, starts bin/manager with its
# admission webhooks (serving a certificate signed by the local CA, which the
# API server trusts through the webhook configuration's caBundle), installs the
# webhook configuration, applies config/samples, starts bin/decision-server
# (HTTPS with a self-signed certificate, callers authenticated by their
# ServiceAccount token) with a demo caller allowed to ask about acme, and waits. Ctrl-C (or SIGTERM) stops the manager, then the
# apiserver, then etcd, and returns.
#
# State lives in bin/local/: pki/ (kept and reused), etcd-data/ (wiped at every
# start, so each run begins from the samples), *.log, *.pid and kubeconfig.
#
# There is no kube-controller-manager: no garbage collection, no namespace
# finalization, no workloads. Only the CRDs, the manager and the samples.
#
# Environment (all optional):
#   LOCAL_UP_APISERVER_PORT  kube-apiserver secure port          (6443)
#   LOCAL_UP_ETCD_PORT       etcd client port                    (2379)
#   LOCAL_UP_ETCD_PEER_PORT  etcd peer port                      (2380)
#   LOCAL_UP_HEALTH_PORT     manager health probe port           (8081)
#   LOCAL_UP_WEBHOOK_PORT    manager admission webhook port      (9443)
#   LOCAL_UP_DECISION_PORT   decision server API port (HTTPS)    (8090)
#   LOCAL_UP_DECISION_HEALTH_PORT decision server probes port    (8082)
#   LOCAL_UP_KEEP_DATA=1     keep etcd data from the previous run
#   LOCAL_UP_FOLLOW_LOGS=0|1 stream the manager log to the terminal (1 when stdout is a terminal)
#   MANAGER                  manager binary                      (bin/manager)
#   DECISION_SERVER          decision server binary              (bin/decision-server)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

BIN=$ROOT/bin
STATE=$BIN/local
PKI=$STATE/pki
KUBECONFIG_FILE=$STATE/kubeconfig
ETCD=$BIN/etcd
KUBE_APISERVER=$BIN/kube-apiserver
KUBECTL=$BIN/kubectl
MANAGER=${MANAGER:-$BIN/manager}
DECISION_SERVER=${DECISION_SERVER:-$BIN/decision-server}

APISERVER_PORT=${LOCAL_UP_APISERVER_PORT:-6443}
ETCD_PORT=${LOCAL_UP_ETCD_PORT:-2379}
ETCD_PEER_PORT=${LOCAL_UP_ETCD_PEER_PORT:-2380}
HEALTH_PORT=${LOCAL_UP_HEALTH_PORT:-8081}
WEBHOOK_PORT=${LOCAL_UP_WEBHOOK_PORT:-9443}
DECISION_PORT=${LOCAL_UP_DECISION_PORT:-8090}
DECISION_HEALTH_PORT=${LOCAL_UP_DECISION_HEALTH_PORT:-8082}
KEEP_DATA=${LOCAL_UP_KEEP_DATA:-0}
if [[ -t 1 ]]; then FOLLOW_LOGS=${LOCAL_UP_FOLLOW_LOGS:-1}; else FOLLOW_LOGS=${LOCAL_UP_FOLLOW_LOGS:-0}; fi

START=$SECONDS
ETCD_PID='' APISERVER_PID='' MANAGER_PID='' DECISION_PID='' TAIL_PID='' SLEEP_PID='' OWNS_STATE=''

if [[ -t 2 ]]; then B=$'\033[1m' Y=$'\033[1;33m' R=$'\033[1;31m' N=$'\033[0m'; else B='' Y='' R='' N=''; fi
log() { printf '%s[local-up %3ds]%s %s\n' "$B" "$((SECONDS - START))" "$N" "$*"; }
warn() { printf '%s[local-up] warning:%s %s\n' "$Y" "$N" "$*" >&2; }
die() { printf '%s[local-up] error:%s %s\n' "$R" "$N" "$*" >&2; exit 1; }

# show_log NAME FILE: print the end of a component's log after a failure.
show_log() {
	[[ -s $2 ]] || return 0
	printf -- '--- last lines of %s (%s) ---\n' "$1" "$2" >&2
	tail -n 25 "$2" >&2
	printf -- '--- end of %s ---\n' "$1" >&2
}

# stop NAME PID: SIGTERM, wait up to 20 s, then SIGKILL; always reaps.
stop() {
	local name=$1 pid=$2 i
	[[ -n $pid ]] || return 0
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 200; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			warn "$name (pid $pid) did not stop within 20s; killing it"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	wait "$pid" 2>/dev/null || true
	log "stopped $name"
}

cleanup() {
	local rc=$?
	trap '' INT TERM HUP # finish stopping whatever happens
	trap - EXIT
	local p
	for p in $TAIL_PID $SLEEP_PID; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	[[ -z $DECISION_PID$MANAGER_PID$APISERVER_PID$ETCD_PID ]] || log "stopping (${STOP_REASON:-exit status $rc})"
	stop decision-server "$DECISION_PID"
	stop manager "$MANAGER_PID"
	stop kube-apiserver "$APISERVER_PID"
	stop etcd "$ETCD_PID"
	[[ -z $OWNS_STATE ]] || rm -f "$STATE"/{etcd,kube-apiserver,manager,decision-server,local-up}.pid
	exit "$rc"
}
trap cleanup EXIT
# Ctrl-C is the normal way to stop, so it exits 0; SIGTERM exits 143.
trap 'STOP_REASON=Ctrl-C; exit 0' INT
trap 'STOP_REASON=SIGTERM; exit 143' TERM
# The processes run in their own sessions, so closing the terminal must stop them here.
trap 'STOP_REASON=SIGHUP; exit 129' HUP

# --- preflight ---------------------------------------------------------------

for b in "$ETCD" "$KUBE_APISERVER" "$KUBECTL"; do
	[[ -x $b ]] || die "$b is missing: run 'make controlplane' (or 'make run', which builds it)"
done
[[ -x $MANAGER ]] || die "$MANAGER is missing: run 'make build-manager'"
[[ -x $DECISION_SERVER ]] || die "$DECISION_SERVER is missing: run 'make build-decision-server'"
for tool in openssl curl base64; do
	command -v "$tool" >/dev/null || die "$tool is needed (certificates, health checks); install it and retry"
done

# running PIDFILE WORD: the pid in PIDFILE when that process is alive and its
# command line mentions WORD (so a recycled pid does not count).
running() {
	local pid
	[[ -s $1 ]] && pid=$(<"$1") && [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
	if [[ -r /proc/$pid/cmdline ]]; then
		[[ $(tr '\0' ' ' <"/proc/$pid/cmdline") == *"$2"* ]] || return 1
	fi
	echo "$pid"
}
mkdir -p "$STATE"
if other=$(running "$STATE/local-up.pid" local-up.sh); then
	die "another local-up.sh is running (pid $other); stop it first (Ctrl-C in its terminal, or: kill $other)"
fi
for name in etcd kube-apiserver manager decision-server; do
	if pid=$(running "$STATE/$name.pid" "$name"); then
		die "a $name left over from an earlier run is still running (pid $pid); stop it with: kill $pid"
	fi
	rm -f "$STATE/$name.pid"
done
echo $$ >"$STATE/local-up.pid"
OWNS_STATE=1

# port_free PORT WHAT: fail when something listens on the loopback port.
port_free() {
	local port=$1 what=$2 who=
	if command -v ss >/dev/null; then
		who=$(ss -Hltnp "sport = :$port" 2>/dev/null || true)
	elif (: <"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
		who="(something accepts connections)"
	fi
	[[ -z $who ]] || die "port $port for $what is already in use: ${who//$'\n'/ }
  stop that process, or choose another port, e.g. LOCAL_UP_${3}=$((port + 10000)) make run"
}
port_free "$ETCD_PORT" "etcd (client)" ETCD_PORT
port_free "$ETCD_PEER_PORT" "etcd (peer)" ETCD_PEER_PORT
port_free "$APISERVER_PORT" "kube-apiserver" APISERVER_PORT
port_free "$HEALTH_PORT" "the manager's health probes" HEALTH_PORT
port_free "$WEBHOOK_PORT" "the manager's admission webhooks" WEBHOOK_PORT
port_free "$DECISION_PORT" "the decision server's API" DECISION_PORT
port_free "$DECISION_HEALTH_PORT" "the decision server's health probes" DECISION_HEALTH_PORT

# --- certificates (created once, reused) -------------------------------------

if [[ ! -s $PKI/admin.crt || ! -s $PKI/sa.pub ]]; then
	log "creating certificates in $PKI"
	rm -rf "$PKI.tmp" && mkdir -p "$PKI.tmp"
	(
		cd "$PKI.tmp"
		exec >openssl.log 2>&1
		openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 -subj "/CN=access-controller-local-ca"
		openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr -subj "/CN=kube-apiserver"
		printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >apiserver.ext
		openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out apiserver.crt -days 3650 -extfile apiserver.ext
		openssl req -newkey rsa:2048 -nodes -keyout admin.key -out admin.csr -subj "/O=system:masters/CN=admin"
		printf 'extendedKeyUsage=clientAuth\n' >admin.ext
		openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out admin.crt -days 3650 -extfile admin.ext
		openssl genrsa -out sa.key 2048
		openssl rsa -in sa.key -pubout -out sa.pub
		rm -f ./*.csr ./*.ext ca.srl
	) || { show_log openssl "$PKI.tmp/openssl.log"; die "creating the certificates failed (log: $PKI.tmp/openssl.log)"; }
	chmod 600 "$PKI.tmp"/*.key
	rm -rf "$PKI" && mv "$PKI.tmp" "$PKI"
else
	log "reusing certificates in $PKI"
fi

# The webhooks' serving certificate, signed by the same CA (kept apart so that
# a pki/ from before the webhooks gains it without being recreated).
WEBHOOK_CERTS=$PKI/webhook
if [[ ! -s $WEBHOOK_CERTS/tls.crt ]]; then
	log "creating the webhook serving certificate in $WEBHOOK_CERTS"
	rm -rf "$WEBHOOK_CERTS.tmp" && mkdir -p "$WEBHOOK_CERTS.tmp"
	(
		cd "$WEBHOOK_CERTS.tmp"
		exec >openssl.log 2>&1
		openssl req -newkey rsa:2048 -nodes -keyout tls.key -out tls.csr -subj "/CN=access-controller-webhook"
		printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >tls.ext
		openssl x509 -req -in tls.csr -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial -CAserial ca.srl -out tls.crt -days 3650 -extfile tls.ext
		rm -f tls.csr tls.ext ca.srl openssl.log
	) || { show_log openssl "$WEBHOOK_CERTS.tmp/openssl.log"; die "creating the webhook certificate failed (log: $WEBHOOK_CERTS.tmp/openssl.log)"; }
	chmod 600 "$WEBHOOK_CERTS.tmp/tls.key"
	rm -rf "$WEBHOOK_CERTS" && mv "$WEBHOOK_CERTS.tmp" "$WEBHOOK_CERTS"
fi

# The manager's own identity: a client certificate for the user
# access-controller-manager, signed by the same CA, bound below to the
# ClusterRole config/rbac generates (role.yaml) and the leader election Role:
# every local run exercises the RBAC manifests and the controller-only rules.
MANAGER_USER=access-controller-manager
MANAGER_CERTS=$PKI/manager
if [[ ! -s $MANAGER_CERTS/client.crt ]]; then
	log "creating the manager's client certificate in $MANAGER_CERTS"
	rm -rf "$MANAGER_CERTS.tmp" && mkdir -p "$MANAGER_CERTS.tmp"
	(
		cd "$MANAGER_CERTS.tmp"
		exec >openssl.log 2>&1
		openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj "/CN=$MANAGER_USER"
		printf 'extendedKeyUsage=clientAuth\n' >client.ext
		openssl x509 -req -in client.csr -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial -CAserial ca.srl -out client.crt -days 3650 -extfile client.ext
		rm -f client.csr client.ext ca.srl openssl.log
	) || { show_log openssl "$MANAGER_CERTS.tmp/openssl.log"; die "creating the manager's certificate failed (log: $MANAGER_CERTS.tmp/openssl.log)"; }
	chmod 600 "$MANAGER_CERTS.tmp/client.key"
	rm -rf "$MANAGER_CERTS" && mv "$MANAGER_CERTS.tmp" "$MANAGER_CERTS"
fi

# The admin kubeconfig (system:masters), written by hand so that it does not
# depend on kubectl's config editing or on an existing KUBECONFIG.
b64() { base64 <"$1" | tr -d '\n'; }
old_umask=$(umask)
umask 077
cat >"$KUBECONFIG_FILE.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $(b64 "$PKI/ca.crt")
users:
- name: admin
  user:
    client-certificate-data: $(b64 "$PKI/admin.crt")
    client-key-data: $(b64 "$PKI/admin.key")
contexts:
- name: local
  context: {cluster: local, user: admin}
current-context: local
EOF
mv "$KUBECONFIG_FILE.tmp" "$KUBECONFIG_FILE"
MANAGER_KUBECONFIG=$STATE/manager.kubeconfig
sed -e "s|$(b64 "$PKI/admin.crt")|$(b64 "$MANAGER_CERTS/client.crt")|" -e "s|$(b64 "$PKI/admin.key")|$(b64 "$MANAGER_CERTS/client.key")|" \
	-e "s|name: admin|name: manager|; s|user: admin}|user: manager}|" "$KUBECONFIG_FILE" >"$MANAGER_KUBECONFIG"
umask "$old_umask"
export KUBECONFIG=$KUBECONFIG_FILE
kc() { "$KUBECTL" --kubeconfig "$KUBECONFIG_FILE" "$@"; }

# --- etcd and kube-apiserver -------------------------------------------------

if [[ $KEEP_DATA == 1 && -d $STATE/etcd-data ]]; then
	log "keeping etcd data from the previous run ($STATE/etcd-data)"
else
	rm -rf "$STATE/etcd-data"
fi

# alive NAME PID LOG: fail with the end of the log when the process has exited.
alive() {
	local rc
	kill -0 "$2" 2>/dev/null && return 0
	wait "$2" 2>/dev/null && rc=0 || rc=$?
	show_log "$1" "$3"
	die "$1 exited (status $rc) during startup; its log is $3"
}

# Every process runs in its own session (setsid): Ctrl-C reaches only this
# script, which then stops them in order: manager, apiserver, etcd. Without
# setsid(1) they get the Ctrl-C too and stop all at once.
# Use as `detach CMD... &`: the exec makes $! the pid of CMD itself (setsid
# does not fork, since the background subshell is no process group leader).
detach() { if command -v setsid >/dev/null; then exec setsid "$@"; else exec "$@"; fi; }
nofsync=(--unsafe-no-fsync) # the data is thrown away at the next start anyway
[[ $KEEP_DATA != 1 ]] || nofsync=()
log "starting etcd on 127.0.0.1:$ETCD_PORT (log: $STATE/etcd.log)"
detach "$ETCD" --name local --data-dir "$STATE/etcd-data" \
	--listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
	--listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
	--initial-cluster "local=http://127.0.0.1:$ETCD_PEER_PORT" "${nofsync[@]}" \
	</dev/null >"$STATE/etcd.log" 2>&1 &
ETCD_PID=$!
echo "$ETCD_PID" >"$STATE/etcd.pid"

log "starting kube-apiserver on https://127.0.0.1:$APISERVER_PORT (log: $STATE/kube-apiserver.log)"
detach "$KUBE_APISERVER" \
	--etcd-servers="http://127.0.0.1:$ETCD_PORT" \
	--bind-address=127.0.0.1 --secure-port="$APISERVER_PORT" \
	--tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
	--client-ca-file="$PKI/ca.crt" \
	--service-account-issuer="https://127.0.0.1:$APISERVER_PORT" \
	--service-account-key-file="$PKI/sa.pub" \
	--service-account-signing-key-file="$PKI/sa.key" \
	--service-cluster-ip-range=10.0.0.0/24 \
	--authorization-mode=RBAC \
	</dev/null >"$STATE/kube-apiserver.log" 2>&1 &
APISERVER_PID=$!
echo "$APISERVER_PID" >"$STATE/kube-apiserver.pid"

ready=
for ((i = 0; i < 240; i++)); do # 60 s
	alive etcd "$ETCD_PID" "$STATE/etcd.log"
	alive kube-apiserver "$APISERVER_PID" "$STATE/kube-apiserver.log"
	if [[ $(kc get --raw=/readyz 2>/dev/null) == ok ]]; then ready=1 && break; fi
	sleep 0.25
done
if [[ -z $ready ]]; then
	show_log etcd "$STATE/etcd.log"
	show_log kube-apiserver "$STATE/kube-apiserver.log"
	die "kube-apiserver was not ready within 60s (logs: $STATE/kube-apiserver.log, $STATE/etcd.log)"
fi
log "control plane ready"

# --- CRDs ---------------------------------------------------------------------

log "installing the CRDs (config/crd)"
crds=$(kc apply --server-side -k config/crd -o name 2>"$STATE/crd.log") ||
	{ show_log "kubectl apply" "$STATE/crd.log"; die "installing the CRDs failed (log: $STATE/crd.log)"; }
# shellcheck disable=SC2086 # one argument per CRD
kc wait --for=condition=Established --timeout=60s $crds >>"$STATE/crd.log" 2>&1 ||
	{ show_log "kubectl wait" "$STATE/crd.log"; die "the CRDs were not Established within 60s (log: $STATE/crd.log)"; }

# --- manager ------------------------------------------------------------------

# The manager's RBAC: config/rbac's generated ClusterRole and the leader
# election Role (for the admission claims' Leases here), bound to its user.
log "binding the manager's user $MANAGER_USER to config/rbac's roles"
{
	printf -- 'apiVersion: v1\nkind: Namespace\nmetadata: {name: access-controller-system}\n---\n'
	sed 's/namespace: system/namespace: access-controller-system/' config/rbac/role.yaml
	printf -- '---\n'
	sed 's/namespace: system/namespace: access-controller-system/' config/rbac/leader_election_role.yaml
	cat <<RBAC
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: access-controller-manager-local}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: manager-role}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: $MANAGER_USER}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: access-controller-manager-local, namespace: access-controller-system}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: leader-election-role}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: $MANAGER_USER}]
RBAC
} | kc apply -f - >"$STATE/manager-rbac.log" 2>&1 ||
	{ show_log "kubectl apply" "$STATE/manager-rbac.log"; die "binding the manager's RBAC failed (log: $STATE/manager-rbac.log)"; }

log "starting the manager $MANAGER as $MANAGER_USER (log: $STATE/manager.log)"
detach "$MANAGER" --kubeconfig "$MANAGER_KUBECONFIG" --claim-namespace=access-controller-system \
	--health-probe-bind-address="127.0.0.1:$HEALTH_PORT" --metrics-bind-address=0 --leader-elect=false \
	--webhooks --webhook-host=127.0.0.1 --webhook-port="$WEBHOOK_PORT" --webhook-cert-dir="$WEBHOOK_CERTS" \
	</dev/null >"$STATE/manager.log" 2>&1 &
MANAGER_PID=$!
echo "$MANAGER_PID" >"$STATE/manager.pid"

ready=
for ((i = 0; i < 240; i++)); do # 60 s
	alive manager "$MANAGER_PID" "$STATE/manager.log"
	if [[ $(curl -fsS --noproxy '*' "http://127.0.0.1:$HEALTH_PORT/readyz" 2>/dev/null) == ok ]]; then ready=1 && break; fi
	sleep 0.25
done
if [[ -z $ready ]]; then
	show_log manager "$STATE/manager.log"
	die "the manager was not ready within 60s on http://127.0.0.1:$HEALTH_PORT/readyz (log: $STATE/manager.log)"
fi
log "manager ready"

# --- admission webhooks -------------------------------------------------------

# config/webhook/manifests.yaml (generated from the markers) with each
# webhook's clientConfig pointed at the manager on loopback and the local CA as
# caBundle, named as `make deploy` names it. Only kubectl: a JSON patch built
# from the paths the generated file holds.
webhook_paths=$(kc create --dry-run=client -f config/webhook/manifests.yaml \
	-o 'jsonpath={range .webhooks[*]}{.clientConfig.service.path}{"\n"}{end}' 2>"$STATE/webhook.log") ||
	{ show_log "kubectl get --local" "$STATE/webhook.log"; die "reading config/webhook/manifests.yaml failed (log: $STATE/webhook.log)"; }
ca_bundle=$(b64 "$PKI/ca.crt")
ops='[{"op":"replace","path":"/metadata/name","value":"access-controller-validating-webhook-configuration"}'
i=0
for path in $webhook_paths; do
	ops+=",{\"op\":\"replace\",\"path\":\"/webhooks/$i/clientConfig\",\"value\":{\"url\":\"https://127.0.0.1:$WEBHOOK_PORT$path\",\"caBundle\":\"$ca_bundle\"}}"
	i=$((i + 1))
done
ops+=']'
((i > 0)) || die "config/webhook/manifests.yaml names no webhook (run: make manifests)"
log "installing $i admission webhooks (https://127.0.0.1:$WEBHOOK_PORT)"
kc patch --local -f config/webhook/manifests.yaml --type json -p "$ops" -o yaml 2>>"$STATE/webhook.log" |
	kc apply --server-side -f - >>"$STATE/webhook.log" 2>&1 ||
	{ show_log "kubectl apply" "$STATE/webhook.log"; die "installing the webhook configuration failed (log: $STATE/webhook.log)"; }

# --- samples ------------------------------------------------------------------

# The namespaces the samples live in (one per tenant), then the samples.
namespaces=$(kc apply -k config/samples --dry-run=client \
	-o 'jsonpath={range .items[*]}{.metadata.namespace}{"\n"}{end}' | awk 'NF && !seen[$0]++') ||
	die "reading the namespaces of config/samples failed (run: bin/kubectl kustomize config/samples)"
for ns in $namespaces; do
	kc create namespace "$ns" --dry-run=client -o yaml | kc apply -f - >/dev/null ||
		die "creating namespace $ns failed"
done
log "applying config/samples (namespaces: ${namespaces//$'\n'/ })"
kc apply -k config/samples >"$STATE/samples.log" 2>&1 ||
	{ show_log "kubectl apply" "$STATE/samples.log"; die "applying config/samples failed (log: $STATE/samples.log)"; }

# --- decision server ------------------------------------------------------------

log "starting the decision server $DECISION_SERVER (log: $STATE/decision-server.log)"
rm -f "$STATE/decision-server.crt"
detach "$DECISION_SERVER" --kubeconfig "$KUBECONFIG_FILE" \
	--bind-address="127.0.0.1:$DECISION_PORT" --health-probe-bind-address="127.0.0.1:$DECISION_HEALTH_PORT" \
	--metrics-bind-address=0 --self-signed-cert-out="$STATE/decision-server.crt" \
	</dev/null >"$STATE/decision-server.log" 2>&1 &
DECISION_PID=$!
echo "$DECISION_PID" >"$STATE/decision-server.pid"

# A demo caller: ServiceAccount crm in namespace crm-app, allowed to read
# acme's EffectivePermissions (get: check, batch-check, filter; list: who-can).
kc apply -f - >"$STATE/decision-rbac.log" 2>&1 <<RBAC || { show_log "kubectl apply" "$STATE/decision-rbac.log"; die "creating the demo caller failed"; }
apiVersion: v1
kind: Namespace
metadata: {name: crm-app}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: crm, namespace: crm-app}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: decision-client, namespace: acme}
rules:
- apiGroups: [access.tenancy.dev]
  resources: [effectivepermissions]
  verbs: [get, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: crm-decision-client, namespace: acme}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: decision-client}
subjects:
- {kind: ServiceAccount, name: crm, namespace: crm-app}
RBAC

ready=
for ((i = 0; i < 240; i++)); do # 60 s
	alive decision-server "$DECISION_PID" "$STATE/decision-server.log"
	if [[ $(curl -fsS --noproxy '*' "http://127.0.0.1:$DECISION_HEALTH_PORT/readyz" 2>/dev/null) == ok ]]; then ready=1 && break; fi
	sleep 0.25
done
if [[ -z $ready ]]; then
	show_log decision-server "$STATE/decision-server.log"
	die "the decision server was not ready within 60s on http://127.0.0.1:$DECISION_HEALTH_PORT/readyz (log: $STATE/decision-server.log)"
fi
log "decision server ready on https://127.0.0.1:$DECISION_PORT (certificate: $STATE/decision-server.crt)"

# Give the manager a moment to converge, so the first `get` shows something.
count_eps() { kc get effectivepermissions -A --no-headers 2>/dev/null | wc -l || true; }
count=0 deadline=$((SECONDS + 10))
while ((SECONDS < deadline)); do
	alive manager "$MANAGER_PID" "$STATE/manager.log"
	count=$(count_eps)
	((count == 0)) || break
	sleep 0.25
done
if ((count == 0)); then
	warn "no EffectivePermissions after 10s; watch $STATE/manager.log"
else
	sleep 1 # let the first burst of reconciles settle
	count=$(count_eps)
fi

cat <<EOF

$(log "up: etcd, kube-apiserver, manager (controllers and webhooks), decision server; $count EffectivePermissions")

  In another terminal:

    export KUBECONFIG=$KUBECONFIG_FILE
    bin/kubectl get tenancy -A                          # every object of the access.tenancy.dev kinds
    bin/kubectl get effectivepermissions -n acme
    bin/kubectl get eperm -n acme vera -o yaml          # Vera's EffectivePermission

  Watch it converge: in one terminal
    bin/kubectl get eperm -n acme -w
  and in another, move sales-team under support; Vera loses it as a subordinate:
    bin/kubectl patch trole -n acme sales-team --type merge -p '{"spec":{"reportsTo":"support"}}'
    bin/kubectl get eperm -n acme vera -o jsonpath='{.spec.subordinates}{"\n"}'

  See the admission webhooks refuse what would break an invariant: Carol is
  Acme's only SuperAdmin, so she cannot be deactivated (or deleted) until
  another member is made SuperAdmin:
    bin/kubectl patch member -n acme carol --type merge -p '{"spec":{"active":false}}'
    bin/kubectl patch member -n acme ivan --type merge -p '{"spec":{"accountRole":"SuperAdmin"}}'
    bin/kubectl patch member -n acme carol --type merge -p '{"spec":{"active":false}}'   # now accepted

  The manager runs as its own user, access-controller-manager, with config/rbac's
  roles: even the admin cannot write an EffectivePermission (only the controller may):
    bin/kubectl patch eperm -n acme vera --type merge -p '{"spec":{"active":false}}'

  Ask the decision server, as the demo application crm-app/crm (allowed to
  read acme's EffectivePermissions, nothing else):
    TOKEN=\$(bin/kubectl create token crm -n crm-app)
    dcurl() { curl -s --cacert $STATE/decision-server.crt -H "Authorization: Bearer \$TOKEN" "\$@"; echo; }
    dcurl https://127.0.0.1:$DECISION_PORT/v1/check -d '{"tenant":"acme","user":"vera@acme.example","action":"edit","type":"deals","owner":"sam@acme.example"}'
    dcurl https://127.0.0.1:$DECISION_PORT/v1/who-can -d '{"tenant":"acme","action":"edit","type":"deals","owner":"sam@acme.example"}'
    dcurl https://127.0.0.1:$DECISION_PORT/v1/filter -d '{"tenant":"acme","user":"vera@acme.example","action":"view","type":"deals"}'
  Read your revocation: deactivate Sam and ask "after" that write:
    RV=\$(bin/kubectl patch member -n acme sam --type merge -p '{"spec":{"active":false}}' -o jsonpath='{.metadata.resourceVersion}')
    dcurl https://127.0.0.1:$DECISION_PORT/v1/check -d '{"tenant":"acme","user":"sam@acme.example","action":"view","type":"deals","consistency":{"afterWrite":{"kind":"Member","resourceVersion":"'\$RV'"}}}'

  Logs: $STATE/{manager,decision-server,kube-apiserver,etcd}.log
  Ctrl-C here stops the decision server, the manager, kube-apiserver and etcd (etcd data is wiped at the next start).

EOF

if [[ $FOLLOW_LOGS == 1 ]]; then
	log "following $STATE/manager.log"
	pidopt=()
	if tail --version 2>/dev/null | grep -q GNU; then pidopt=(--pid=$$); fi # ends with this script, whatever happens
	tail -n +1 -F "${pidopt[@]}" "$STATE/manager.log" &
	TAIL_PID=$!
fi

# Wait until a signal arrives or a component exits by itself. The sleep runs in
# the background so that `wait` returns as soon as a trapped signal arrives.
while :; do
	for c in "decision-server $DECISION_PID decision-server.log" "manager $MANAGER_PID manager.log" "kube-apiserver $APISERVER_PID kube-apiserver.log" "etcd $ETCD_PID etcd.log"; do
		read -r name pid file <<<"$c"
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid" 2>/dev/null && rc=0 || rc=$?
			show_log "$name" "$STATE/$file"
			die "$name exited unexpectedly (status $rc); its log is $STATE/$file"
		fi
	done
	sleep 1 &
	SLEEP_PID=$!
	wait "$SLEEP_PID" || true
	SLEEP_PID=''
done
