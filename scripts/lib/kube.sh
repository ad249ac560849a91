# etcd, kube-apiserver and kube-controller-manager on loopback, built by scripts/build-tools.
# shellcheck shell=bash

pki=$state/pki
kubeconfig=$state/kubeconfig
ports_file=$state/ports

# Controllers that make the API behave as in a cluster for reaper's tests: namespaces finalize,
# ownerReferences collect, service accounts get tokens, aggregated ClusterRoles fill in.
kcm_controllers=namespace-controller,garbage-collector-controller,serviceaccount-controller,serviceaccount-token-controller,clusterrole-aggregation-controller,root-ca-certificate-publisher-controller

kube_bins() {
  k8s_bin=$("$repo/scripts/build-tools" bindir k8s)
  etcd_bin=$("$repo/scripts/build-tools" bindir etcd)
  helm_bin=$("$repo/scripts/build-tools" bindir helm)
}

kube_ports() {
  # shellcheck source=/dev/null
  [ -f "$ports_file" ] && . "$ports_file"
}

etcd_healthy() { curl -fsS "http://127.0.0.1:$etcd_port/health" | grep -q '"health":"true"'; }
apiserver_ready() { "$k8s_bin/kubectl" --kubeconfig "$kubeconfig" get --raw /readyz >/dev/null; }

kube_status() {
  kube_ports || return 1
  kube_bins
  pid_alive etcd && pid_alive kube-apiserver && pid_alive kube-controller-manager && apiserver_ready
}

kube_pki() {
  [ -f "$pki/admin.crt" ] && return 0
  mkdir -p "$pki"
  (
    cd "$pki"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -keyout ca.key -out ca.crt -subj "/CN=reaper-testenv-ca" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout serving.key -out serving.csr -subj "/CN=kube-apiserver" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >serving.ext
    openssl x509 -req -in serving.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -extfile serving.ext -out serving.crt 2>/dev/null
    # O=system:masters makes this identity cluster-admin regardless of RBAC objects.
    openssl req -newkey rsa:2048 -nodes -keyout admin.key -out admin.csr -subj "/O=system:masters/CN=reaper-testenv-admin" 2>/dev/null
    printf 'extendedKeyUsage=clientAuth\n' >admin.ext
    openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -extfile admin.ext -out admin.crt 2>/dev/null
    # One RSA key signs and verifies service account tokens.
    openssl genrsa -out sa.key 2048 2>/dev/null
    rm -f ./*.csr ./*.ext
  ) || die "creating certificates with openssl failed"
}

kube_write_kubeconfig() {
  cat >"$kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
  - name: reaper-testenv
    cluster:
      server: https://127.0.0.1:$apiserver_port
      certificate-authority: $pki/ca.crt
users:
  - name: reaper-testenv-admin
    user:
      client-certificate: $pki/admin.crt
      client-key: $pki/admin.key
contexts:
  - name: reaper-testenv
    context: { cluster: reaper-testenv, user: reaper-testenv-admin, namespace: default }
current-context: reaper-testenv
KUBECONFIG
  chmod 600 "$kubeconfig"
}

kube_up() {
  ensure_packages openssl curl ca-certificates
  kube_bins
  if kube_status; then
    log "reusing etcd and kube-apiserver at https://127.0.0.1:$apiserver_port"
    return 0
  fi
  kube_down_processes
  ensure_state_dirs
  kube_pki
  etcd_port=$(free_port)
  etcd_peer_port=$(free_port)
  apiserver_port=$(free_port)
  printf 'etcd_port=%s\netcd_peer_port=%s\napiserver_port=%s\n' "$etcd_port" "$etcd_peer_port" "$apiserver_port" >"$ports_file"
  kube_write_kubeconfig
  rm -rf "$state/etcd-data"

  log "starting etcd on 127.0.0.1:$etcd_port (log: $logs/etcd.log)"
  start_daemon etcd "$etcd_bin/etcd" --name=reaper-testenv --data-dir="$state/etcd-data" \
    --listen-client-urls="http://127.0.0.1:$etcd_port" --advertise-client-urls="http://127.0.0.1:$etcd_port" \
    --listen-peer-urls="http://127.0.0.1:$etcd_peer_port" --initial-advertise-peer-urls="http://127.0.0.1:$etcd_peer_port" \
    --initial-cluster="reaper-testenv=http://127.0.0.1:$etcd_peer_port" --unsafe-no-fsync --log-level=warn
  wait_until 60 etcd etcd_healthy || fail_with_log etcd "etcd did not become healthy within 60s"

  log "starting kube-apiserver on https://127.0.0.1:$apiserver_port (log: $logs/kube-apiserver.log)"
  start_daemon kube-apiserver "$k8s_bin/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$etcd_port" --bind-address=127.0.0.1 --advertise-address=127.0.0.1 \
    --secure-port="$apiserver_port" --cert-dir="$state/apiserver-certs" \
    --tls-cert-file="$pki/serving.crt" --tls-private-key-file="$pki/serving.key" --client-ca-file="$pki/ca.crt" \
    --authorization-mode=RBAC --allow-privileged=true --service-cluster-ip-range=10.0.0.0/24 \
    --service-account-issuer="https://127.0.0.1:$apiserver_port" \
    --service-account-key-file="$pki/sa.key" --service-account-signing-key-file="$pki/sa.key"
  wait_until 120 kube-apiserver apiserver_ready || fail_with_log kube-apiserver "kube-apiserver was not ready within 120s"

  log "starting kube-controller-manager (log: $logs/kube-controller-manager.log)"
  start_daemon kube-controller-manager "$k8s_bin/kube-controller-manager" \
    --kubeconfig="$kubeconfig" --authentication-kubeconfig="$kubeconfig" --authorization-kubeconfig="$kubeconfig" \
    --leader-elect=false --secure-port=0 --controllers="$kcm_controllers" \
    --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
    --concurrent-gc-syncs=5 --concurrent-namespace-syncs=5
  sleep 1
  pid_alive kube-controller-manager || fail_with_log kube-controller-manager "kube-controller-manager exited at start"
  touch "$state/started-kube"
}

kube_down_processes() {
  stop_daemon kube-controller-manager
  stop_daemon kube-apiserver
  stop_daemon etcd
}

kube_down() {
  [ -f "$state/started-kube" ] || [ -f "$run/etcd.pid" ] || return 0
  kube_down_processes
  rm -rf "$state/etcd-data" "$state/apiserver-certs" "$state/started-kube" "$ports_file"
}
