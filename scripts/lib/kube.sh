# etcd, kube-apiserver and kube-controller-manager on loopback, built by scripts/build-tools.
# shellcheck shell=bash
# shellcheck disable=SC2154 # repo, state, run and logs come from scripts/lib/common.sh

pki=$state/pki
kubeconfig=$state/kubeconfig
ports_file=$state/ports
bins_file=$state/bins

# Controllers that make the API behave as in a cluster for reaper's tests: namespaces finalize,
# ownerReferences are collected, service accounts and their tokens appear, aggregated
# ClusterRoles fill in, namespaces get kube-root-ca.crt. (`kube-controller-manager --help` lists
# the names a release knows.)
kcm_controllers=${REAPER_TESTENV_KCM_CONTROLLERS:-namespace-controller,garbage-collector-controller,serviceaccount-controller,serviceaccount-token-controller,clusterrole-aggregation-controller,root-ca-certificate-publisher-controller}

etcd_port="" etcd_peer_port="" apiserver_port="" kcm_port=""
k8s_bin="" etcd_bin="" helm_bin=""

# Which binaries `up` used; status and env read this file and never build.
kube_resolve_bins() {
  k8s_bin=$("$repo/scripts/build-tools" bindir k8s) || die "scripts/build-tools could not provide kube-apiserver"
  etcd_bin=$("$repo/scripts/build-tools" bindir etcd) || die "scripts/build-tools could not provide etcd"
  helm_bin=$("$repo/scripts/build-tools" bindir helm) || die "scripts/build-tools could not provide helm"
  printf 'k8s_bin=%q\netcd_bin=%q\nhelm_bin=%q\n' "$k8s_bin" "$etcd_bin" "$helm_bin" >"$bins_file"
}

kube_load() {
  # shellcheck source=/dev/null
  [ -f "$ports_file" ] && . "$ports_file"
  # shellcheck source=/dev/null
  [ -f "$bins_file" ] && . "$bins_file"
  [ -n "$apiserver_port" ] && [ -n "$k8s_bin" ]
}

kube_save_ports() {
  printf 'etcd_port=%s\netcd_peer_port=%s\napiserver_port=%s\nkcm_port=%s\n' \
    "$etcd_port" "$etcd_peer_port" "$apiserver_port" "$kcm_port" >"$ports_file"
}

etcd_url() { printf 'http://127.0.0.1:%s' "$etcd_port"; }
apiserver_url() { printf 'https://127.0.0.1:%s' "$apiserver_port"; }

etcd_healthy() { curl -fsS --max-time 3 "$(etcd_url)/health" 2>/dev/null | grep -q '"health":"true"'; }
apiserver_get() {
  curl -fsS --max-time 5 --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" "$(apiserver_url)$1"
}
apiserver_ready() { [ "$(apiserver_get /readyz 2>/dev/null)" = ok ]; }
kcm_healthy() { [ -n "$kcm_port" ] && [ "$(curl -fsSk --max-time 3 "https://127.0.0.1:$kcm_port/healthz" 2>/dev/null)" = ok ]; }

# running_from NAME DIR: the daemon runs and was started from DIR (not from an older build).
running_from() { [ "$(daemon_exe "$1" 2>/dev/null)" = "$2/$1" ]; }

# kube_core_problem: why etcd and kube-apiserver cannot be reused as they run; nothing when they can.
kube_core_problem() {
  local name dir
  [ -n "$apiserver_port" ] || { echo "not started yet" && return; }
  for name in etcd kube-apiserver; do
    dir=$k8s_bin
    [ "$name" = etcd ] && dir=$etcd_bin
    daemon_pid "$name" >/dev/null || { echo "$name is not running" && return; }
    running_from "$name" "$dir" ||
      { echo "$name runs $(daemon_exe "$name"), not the current build in $dir" && return; }
  done
  etcd_healthy || { echo "etcd does not answer $(etcd_url)/health" && return; }
  apiserver_ready || { echo "kube-apiserver is not ready at $(apiserver_url)/readyz" && return; }
}
kcm_running() { running_from kube-controller-manager "$k8s_bin" && kcm_healthy; }

# A client CA, the apiserver's serving certificate, the admin client certificate (O=system:masters
# is cluster-admin whatever RBAC objects exist), and one RSA key that both signs and verifies
# service account tokens.
kube_pki() {
  [ -f "$pki/admin.crt" ] && [ -f "$pki/sa.key" ] && return 0
  rm -rf "$pki"
  mkdir -p "$pki"
  chmod 700 "$pki"
  pki_key ca
  pki_openssl req -new -key "$pki/ca.key" -subj "/CN=reaper-testenv-ca" -out "$pki/ca.csr"
  printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n' >"$pki/ca.ext"
  pki_openssl x509 -req -in "$pki/ca.csr" -signkey "$pki/ca.key" -days 3650 -sha256 -extfile "$pki/ca.ext" -out "$pki/ca.crt"
  pki_sign serving "/CN=kube-apiserver" 'extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost'
  pki_sign admin "/O=system:masters/CN=reaper-testenv-admin" 'extendedKeyUsage=clientAuth'
  pki_key sa
  rm -f "$pki"/*.csr "$pki"/*.ext "$pki"/*.srl "$pki/openssl.out"
}

pki_openssl() {
  openssl "$@" >"$pki/openssl.out" 2>&1 || die "openssl $1 failed: $(cat "$pki/openssl.out")"
}
pki_key() {
  pki_openssl genrsa -out "$pki/$1.key" 2048
  chmod 600 "$pki/$1.key"
}
# pki_sign NAME SUBJECT EXTENSIONS: NAME.key and NAME.crt, signed by the CA.
pki_sign() {
  pki_key "$1"
  pki_openssl req -new -key "$pki/$1.key" -subj "$2" -out "$pki/$1.csr"
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n%s\n' "$3" >"$pki/$1.ext"
  pki_openssl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 3650 -sha256 -extfile "$pki/$1.ext" -out "$pki/$1.crt"
}

# The kubeconfig embeds its certificates, so it can be copied or mounted on its own.
kube_write_kubeconfig() {
  b64() { base64 -w0 <"$1"; }
  cat >"$kubeconfig.tmp" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
  - name: reaper-testenv
    cluster:
      server: $(apiserver_url)
      certificate-authority-data: $(b64 "$pki/ca.crt")
users:
  - name: reaper-testenv-admin
    user:
      client-certificate-data: $(b64 "$pki/admin.crt")
      client-key-data: $(b64 "$pki/admin.key")
contexts:
  - name: reaper-testenv
    context:
      cluster: reaper-testenv
      user: reaper-testenv-admin
      namespace: default
current-context: reaper-testenv
KUBECONFIG
  chmod 600 "$kubeconfig.tmp"
  mv "$kubeconfig.tmp" "$kubeconfig"
}

# kube_fail NAME MESSAGE: the error; stops and removes what this start left half up (the logs
# stay); the end of NAME's log; exit 1.
kube_fail() {
  log "error: $2"
  kube_down
  show_log_tail "$1"
  exit 1
}

# start_with_retry NAME SECONDS READY_COMMAND START_FUNCTION: START_FUNCTION picks ports and
# starts NAME; retried with fresh ports when a port turned out to be taken.
start_with_retry() {
  local name=$1 seconds=$2 ready=$3 start=$4 attempt code
  for attempt in 1 2 3; do
    "$start"
    code=0
    wait_for "$seconds" "$name" "$ready" || code=$?
    [ $code -eq 0 ] && return 0
    if [ $code -eq 2 ] && [ $attempt -lt 3 ] && address_in_use "$name"; then
      log "$name: a port was taken meanwhile; retrying on other ports"
      continue
    fi
    [ $code -eq 2 ] && kube_fail "$name" "$name exited during start"
    kube_fail "$name" "$name was not ready within ${seconds}s"
  done
}

start_etcd() {
  read -r etcd_port etcd_peer_port < <(pick_ports 2)
  [ -n "$etcd_peer_port" ] || die "could not pick free ports"
  kube_save_ports
  log "starting etcd on $(etcd_url) (log: $logs/etcd.log)"
  start_daemon etcd "$etcd_bin/etcd" --name=reaper-testenv --data-dir="$state/etcd-data" \
    --listen-client-urls="$(etcd_url)" --advertise-client-urls="$(etcd_url)" \
    --listen-peer-urls="http://127.0.0.1:$etcd_peer_port" --initial-advertise-peer-urls="http://127.0.0.1:$etcd_peer_port" \
    --initial-cluster="reaper-testenv=http://127.0.0.1:$etcd_peer_port" --initial-cluster-state=new \
    --unsafe-no-fsync --log-level=warn
}

start_apiserver() {
  read -r apiserver_port < <(pick_ports 1)
  [ -n "$apiserver_port" ] || die "could not pick free ports"
  kube_save_ports
  kube_write_kubeconfig
  log "starting kube-apiserver on $(apiserver_url) (log: $logs/kube-apiserver.log)"
  # --endpoint-reconciler-type=none: the "kubernetes" Endpoints may not hold a loopback address.
  start_daemon kube-apiserver "$k8s_bin/kube-apiserver" \
    --etcd-servers="$(etcd_url)" --bind-address=127.0.0.1 --advertise-address=127.0.0.1 \
    --secure-port="$apiserver_port" --cert-dir="$state/apiserver-certs" \
    --tls-cert-file="$pki/serving.crt" --tls-private-key-file="$pki/serving.key" --client-ca-file="$pki/ca.crt" \
    --authorization-mode=RBAC --allow-privileged=true --service-cluster-ip-range=10.0.0.0/24 \
    --endpoint-reconciler-type=none \
    --service-account-issuer="$(apiserver_url)" \
    --service-account-key-file="$pki/sa.key" --service-account-signing-key-file="$pki/sa.key"
}

start_kcm() {
  read -r kcm_port < <(pick_ports 1)
  [ -n "$kcm_port" ] || die "could not pick free ports"
  kube_save_ports
  log "starting kube-controller-manager, healthz on 127.0.0.1:$kcm_port (log: $logs/kube-controller-manager.log)"
  start_daemon kube-controller-manager "$k8s_bin/kube-controller-manager" \
    --kubeconfig="$kubeconfig" --authentication-kubeconfig="$kubeconfig" --authorization-kubeconfig="$kubeconfig" \
    --bind-address=127.0.0.1 --secure-port="$kcm_port" --cert-dir="$state/kcm-certs" \
    --leader-elect=false --controllers="$kcm_controllers" \
    --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
    --concurrent-gc-syncs=5 --concurrent-namespace-syncs=5
}

kube_packages() { echo openssl curl ca-certificates; }

kube_up() {
  # shellcheck disable=SC2046 # a list of package names
  ensure_packages $(kube_packages)
  kube_resolve_bins
  kube_load || true

  local problem
  problem=$(kube_core_problem)
  if [ -z "$problem" ]; then
    log "reusing etcd at $(etcd_url) and kube-apiserver at $(apiserver_url)"
    [ -f "$kubeconfig" ] || kube_write_kubeconfig
  else
    log "starting etcd and kube-apiserver: $problem"
    # Whatever is left of an earlier start is stopped: one consistent set, fresh data.
    kube_stop_processes
    rm -rf "$state/etcd-data" "$state/apiserver-certs" "$state/kcm-certs"
    kcm_port=""
    kube_pki
    touch "$state/started-kube"
    start_with_retry etcd "$(timeout_for 60)" etcd_healthy start_etcd
    log "etcd is healthy"
    start_with_retry kube-apiserver "$(timeout_for 120)" apiserver_ready start_apiserver
    log "kube-apiserver is ready ($(apiserver_get /version | sed -n 's/.*"gitVersion": *"\([^"]*\)".*/\1/p'))"
  fi

  if kcm_running; then
    log "reusing kube-controller-manager (healthz on 127.0.0.1:$kcm_port)"
  else
    [ -z "$(daemon_pid kube-controller-manager)" ] ||
      log "restarting kube-controller-manager: not healthy, or not the current build in $k8s_bin"
    stop_daemon kube-controller-manager
    touch "$state/started-kube"
    start_with_retry kube-controller-manager "$(timeout_for 60)" kcm_healthy start_kcm
    log "kube-controller-manager is healthy (controllers: $kcm_controllers)"
  fi
}

kube_stop_processes() {
  stop_daemon kube-controller-manager
  stop_daemon kube-apiserver
  stop_daemon etcd
}

kube_down() {
  kube_stop_processes
  rm -rf "$state/etcd-data" "$state/apiserver-certs" "$state/kcm-certs" "$pki" \
    "$kubeconfig" "$kubeconfig.tmp" "$ports_file" "$bins_file" "$state/started-kube"
}

kube_why_down() {
  local pid
  if pid=$(daemon_pid "$1"); then
    echo "pid $pid runs but is not healthy; see $logs/$1.log"
  else
    echo "not running; see $logs/$1.log"
  fi
}

# kube_status: one line per engine on stdout; 0 when all three are up and healthy.
kube_status() {
  local ok=0 pid
  if ! kube_load; then
    printf 'kubernetes    DOWN  not started (scripts/testenv up kube)\n'
    return 1
  fi
  if pid=$(daemon_pid etcd) && etcd_healthy; then
    printf 'etcd          up    %s (pid %s, etcd %s)\n' "$(etcd_url)" "$pid" \
      "$(curl -fsS --max-time 3 "$(etcd_url)/version" | sed -n 's/.*"etcdserver":"\([^"]*\)".*/\1/p')"
  else
    printf 'etcd          DOWN  %s (%s)\n' "$(etcd_url)" "$(kube_why_down etcd)"
    ok=1
  fi
  if pid=$(daemon_pid kube-apiserver) && apiserver_ready; then
    printf 'apiserver     up    %s (pid %s, %s)\n' "$(apiserver_url)" "$pid" \
      "$(apiserver_get /version | sed -n 's/.*"gitVersion": *"\([^"]*\)".*/\1/p')"
  else
    printf 'apiserver     DOWN  %s (%s)\n' "$(apiserver_url)" "$(kube_why_down kube-apiserver)"
    ok=1
  fi
  if pid=$(daemon_pid kube-controller-manager) && kcm_healthy; then
    printf 'controllers   up    kube-controller-manager (pid %s; %s)\n' "$pid" \
      "$(tr '\0' '\n' <"/proc/$pid/cmdline" | sed -n 's/^--controllers=//p')"
  else
    printf 'controllers   DOWN  kube-controller-manager (%s)\n' "$(kube_why_down kube-controller-manager)"
    ok=1
  fi
  printf 'kubeconfig          %s\n' "$kubeconfig"
  return $ok
}
