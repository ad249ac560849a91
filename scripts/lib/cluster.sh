# A real one-node Kubernetes cluster for the tests that need pods to run (scripts/testenv up
# cluster): etcd, kube-apiserver, kube-controller-manager (every controller), kube-scheduler,
# containerd with Debian's runc and CNI plugins, kubelet, kube-proxy and CoreDNS (Service names;
# a process on the node rather than a pod, so it needs no image), all built by
# scripts/build-tools from the pinned modules under tools/. No image is pulled: the sandbox image is
# made here from tools/pause, and tests import theirs with ctr.
#
# Everything runs in a network namespace of its own (reaper-node), joined to the host by one veth
# pair: the kubelet's, kube-proxy's and the CNI plugins' iptables rules, the pod bridge and the
# pods' addresses never reach the host's namespace, where the shared Docker engine lives. Tests on
# the host reach the API server at the namespace's address. Only one such cluster runs per host
# (the namespace, the kubelet's /kubepods cgroups and a few paths the kubelet hardcodes are
# host-wide); `down` removes all of it.
# shellcheck shell=bash
# shellcheck disable=SC2154 # repo, state, run and logs come from scripts/lib/common.sh

cluster_dir=$state/cluster
cluster_netns=reaper-node
cluster_node=reaper-node
# The host's end and the node's end of the veth pair; the node's address is its InternalIP.
cluster_host_if=reaper-node0
cluster_host_ip=10.213.0.1
cluster_node_ip=10.213.0.2
cluster_pod_cidr=10.244.0.0/24
cluster_service_cidr=10.97.0.0/24
cluster_service_ip=10.97.0.1
cluster_bridge=cni0
cluster_api_port=6443
cluster_pause_image=reaper.test/pause:1
cluster_kubeconfig=$cluster_dir/admin.kubeconfig
# Pid files and logs of their own: the daemons share names with the `kube` part's.
cluster_run=$cluster_dir/run
cluster_logs=$state/cluster-logs
cluster_bins_file=$cluster_dir/bins

# Ports inside the namespace: nobody else binds there, so they are fixed.
cluster_etcd_port=2379
cluster_etcd_peer_port=2380
cluster_kcm_port=10257
cluster_scheduler_port=10259
cluster_kubelet_healthz=10248
cluster_proxy_healthz=10256

cluster_dns_ready_port=8181

c_k8s_bin="" c_node_bin="" c_containerd_bin="" c_etcd_bin="" c_helm_bin="" c_pause_bin="" c_coredns_bin=""

cluster_packages() { echo runc containernetworking-plugins iproute2 iptables openssl curl ca-certificates util-linux; }

cluster_resolve_bins() {
  local group
  for group in k8s node containerd etcd helm pause coredns; do
    "$repo/scripts/build-tools" "$group" || die "scripts/build-tools could not build $group"
  done
  c_k8s_bin=$("$repo/scripts/build-tools" bindir k8s)
  c_node_bin=$("$repo/scripts/build-tools" bindir node)
  c_containerd_bin=$("$repo/scripts/build-tools" bindir containerd)
  c_etcd_bin=$("$repo/scripts/build-tools" bindir etcd)
  c_helm_bin=$("$repo/scripts/build-tools" bindir helm)
  c_pause_bin=$("$repo/scripts/build-tools" bindir pause)
  c_coredns_bin=$("$repo/scripts/build-tools" bindir coredns)
  printf 'c_k8s_bin=%q\nc_node_bin=%q\nc_containerd_bin=%q\nc_etcd_bin=%q\nc_helm_bin=%q\nc_pause_bin=%q\nc_coredns_bin=%q\n' \
    "$c_k8s_bin" "$c_node_bin" "$c_containerd_bin" "$c_etcd_bin" "$c_helm_bin" "$c_pause_bin" "$c_coredns_bin" >"$cluster_bins_file"
}

cluster_load() {
  # shellcheck source=/dev/null
  [ -f "$cluster_bins_file" ] && . "$cluster_bins_file" && [ -n "$c_k8s_bin" ]
}

# start_daemon records $!, which must be the daemon itself: nsenter execs its command.
node_exec=(nsenter --net="/run/netns/$cluster_netns" --)
in_node() { nsenter --net="/run/netns/$cluster_netns" -- "$@"; }
cluster_kubectl() { "$c_k8s_bin/kubectl" --kubeconfig "$cluster_kubeconfig" "$@"; }
cluster_ctr() { "$c_containerd_bin/ctr" -a "$cluster_dir/containerd/containerd.sock" -n k8s.io "$@"; }
cluster_api_ready() {
  [ "$(curl -fsS --max-time 3 --cacert "$cluster_dir/pki/ca.crt" --cert "$cluster_dir/pki/admin.crt" \
    --key "$cluster_dir/pki/admin.key" "https://$cluster_node_ip:$cluster_api_port/readyz" 2>/dev/null)" = ok ]
}
cluster_node_ready() {
  [ "$(cluster_kubectl get node "$cluster_node" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}
cluster_healthz() { in_node curl -fsSk --max-time 3 "$1" 2>/dev/null | grep -qx ok; }

# The daemons, in start order; `down` stops them in reverse.
cluster_daemons="etcd kube-apiserver kube-controller-manager kube-scheduler coredns containerd kubelet kube-proxy"

# cluster_wait SECONDS NAME COMMAND...: as wait_for, failing `up` with NAME's log.
cluster_wait() {
  local seconds=$1 name=$2 status=0
  shift 2
  wait_for "$(timeout_for "$seconds")" "$name" "$@" || status=$?
  case $status in
    0) ;;
    2) fail_with_log "$name" "$name exited while starting (cluster state: $cluster_dir)" ;;
    *) fail_with_log "$name" "$name did not become ready within $(timeout_for "$seconds")s" ;;
  esac
}

# ---------------------------------------------------------------------------------------- PKI
cluster_pki() {
  local pki=$cluster_dir/pki
  [ -f "$pki/sa.key" ] && return 0
  # pki_* from scripts/lib/kube.sh write into $pki.
  rm -rf "$pki" && mkdir -p "$pki" && chmod 700 "$pki"
  pki_key ca
  pki_openssl req -new -key "$pki/ca.key" -subj "/CN=reaper-node-ca" -out "$pki/ca.csr"
  printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n' >"$pki/ca.ext"
  pki_openssl x509 -req -in "$pki/ca.csr" -signkey "$pki/ca.key" -days 3650 -sha256 -extfile "$pki/ca.ext" -out "$pki/ca.crt"
  # Pods verify the API server as https://<service IP> (the `kubernetes` Service).
  pki_sign serving /CN=kube-apiserver "extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:$cluster_node_ip,IP:$cluster_service_ip,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  pki_sign admin /O=system:masters/CN=reaper-node-admin extendedKeyUsage=clientAuth
  # The Node authorizer and NodeRestriction know the kubelet by this name.
  pki_sign node "/O=system:nodes/CN=system:node:$cluster_node" extendedKeyUsage=clientAuth
  pki_sign kubelet-client /O=system:masters/CN=kube-apiserver-kubelet-client extendedKeyUsage=clientAuth
  pki_sign kube-proxy /CN=system:kube-proxy extendedKeyUsage=clientAuth
  pki_sign kcm /CN=system:kube-controller-manager extendedKeyUsage=clientAuth
  pki_sign scheduler /CN=system:kube-scheduler extendedKeyUsage=clientAuth
  pki_key sa
  rm -f "$pki"/*.csr "$pki"/*.ext "$pki"/*.srl "$pki/openssl.out"
  local user
  for user in admin node kube-proxy kcm scheduler; do
    cat >"$cluster_dir/$user.kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
  - name: reaper-node
    cluster:
      server: https://$cluster_node_ip:$cluster_api_port
      certificate-authority-data: $(base64 -w0 <"$pki/ca.crt")
users:
  - name: $user
    user:
      client-certificate-data: $(base64 -w0 <"$pki/$user.crt")
      client-key-data: $(base64 -w0 <"$pki/$user.key")
contexts:
  - name: reaper-node
    context: {cluster: reaper-node, user: $user, namespace: default}
current-context: reaper-node
KUBECONFIG
    chmod 600 "$cluster_dir/$user.kubeconfig"
  done
}

# ---------------------------------------------------------------------------------------- images
# cluster_image ROOTFS NAME CONFIG_JSON OUT: a one-layer image in `docker save` form, made without
# any daemon; `ctr images import` takes it.
cluster_image() {
  local rootfs=$1 name=$2 config=$3 out=$4 work diff id
  work=$(mktemp -d)
  tar --numeric-owner --owner=0 --group=0 -C "$rootfs" -cf "$work/layer.tar" .
  diff=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
  printf '{"architecture":"amd64","os":"linux","config":%s,"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$config" "$diff" >"$work/config.json"
  id=$(sha256sum "$work/config.json" | cut -d' ' -f1)
  mv "$work/config.json" "$work/$id.json"
  printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["layer.tar"]}]' "$id" "$name" >"$work/manifest.json"
  tar -C "$work" -cf "$out" manifest.json "$id.json" layer.tar
  rm -rf "$work"
}

cluster_pause_image() {
  local rootfs
  rootfs=$(mktemp -d)
  cp "$c_pause_bin/pause" "$rootfs/pause"
  cluster_image "$rootfs" "$cluster_pause_image" '{"Entrypoint":["/pause"]}' "$cluster_dir/pause.tar"
  rm -rf "$rootfs"
}

# ---------------------------------------------------------------------------------------- network
cluster_netns_up() {
  if [ ! -e "/run/netns/$cluster_netns" ]; then
    ip netns add "$cluster_netns"
    echo "$cluster_dir" >"$cluster_dir/netns.owner"
  fi
  ip -n "$cluster_netns" link set lo up
  if ! ip link show "$cluster_host_if" >/dev/null 2>&1; then
    ip link add "$cluster_host_if" type veth peer name eth0 netns "$cluster_netns"
    ip addr add "$cluster_host_ip/30" dev "$cluster_host_if"
    ip link set "$cluster_host_if" up
    ip -n "$cluster_netns" addr add "$cluster_node_ip/30" dev eth0
    ip -n "$cluster_netns" link set eth0 up
    ip -n "$cluster_netns" route add default via "$cluster_host_ip"
  fi
  # Pods' traffic is routed between the pod bridge and the node's address; inside the namespace only.
  in_node sysctl -qw net.ipv4.ip_forward=1
}

# ---------------------------------------------------------------------------------------- up
cluster_up() {
  local run=$cluster_run logs=$cluster_logs
  mkdir -p "$cluster_run" "$cluster_logs"
  if [ -e "/run/netns/$cluster_netns" ] && [ "$(cat "$cluster_dir/netns.owner" 2>/dev/null)" != "$cluster_dir" ]; then
    die "network namespace $cluster_netns exists but was not made by this state directory ($cluster_dir): one one-node cluster per host"
  fi
  cluster_resolve_bins
  if cluster_load && cluster_running; then
    log "cluster: reusing the running one-node cluster"
    return 0
  fi
  # A half-started or stale cluster is taken down first, so `up` always starts from a clean host.
  cluster_down_quiet
  mkdir -p "$cluster_dir"/{containerd,cni/net.d,kubelet,kube-proxy,pod-logs} "$cluster_run"
  cluster_resolve_bins
  cluster_netns_up
  cluster_pki
  cluster_pause_image
  local pki=$cluster_dir/pki started
  started=$(date +%s)

  start_daemon etcd "${node_exec[@]}" "$c_etcd_bin/etcd" --name=reaper-node --data-dir="$cluster_dir/etcd" \
    --listen-client-urls="http://127.0.0.1:$cluster_etcd_port" --advertise-client-urls="http://127.0.0.1:$cluster_etcd_port" \
    --listen-peer-urls="http://127.0.0.1:$cluster_etcd_peer_port" \
    --initial-advertise-peer-urls="http://127.0.0.1:$cluster_etcd_peer_port" \
    --initial-cluster="reaper-node=http://127.0.0.1:$cluster_etcd_peer_port" --unsafe-no-fsync --log-level=warn
  cluster_wait 60 etcd in_node curl -fsS "http://127.0.0.1:$cluster_etcd_port/health"
  # Advertised on the node's address with the default (lease) endpoint reconciler: the `kubernetes`
  # Service's endpoint is that address, which kube-proxy sends the service IP to. The node's name
  # resolves nowhere, so logs/exec go to its InternalIP.
  start_daemon kube-apiserver "${node_exec[@]}" "$c_k8s_bin/kube-apiserver" --etcd-servers="http://127.0.0.1:$cluster_etcd_port" \
    --bind-address=0.0.0.0 --advertise-address="$cluster_node_ip" --secure-port="$cluster_api_port" \
    --cert-dir="$cluster_dir/apiserver-certs" --tls-cert-file="$pki/serving.crt" --tls-private-key-file="$pki/serving.key" \
    --client-ca-file="$pki/ca.crt" --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
    --allow-privileged=true --service-cluster-ip-range="$cluster_service_cidr" \
    --kubelet-preferred-address-types=InternalIP \
    --kubelet-client-certificate="$pki/kubelet-client.crt" --kubelet-client-key="$pki/kubelet-client.key" \
    --service-account-issuer=https://kubernetes.default.svc \
    --service-account-key-file="$pki/sa.key" --service-account-signing-key-file="$pki/sa.key"
  cluster_wait 120 kube-apiserver cluster_api_ready
  start_daemon kube-controller-manager "${node_exec[@]}" "$c_k8s_bin/kube-controller-manager" \
    --kubeconfig="$cluster_dir/kcm.kubeconfig" --authentication-kubeconfig="$cluster_dir/kcm.kubeconfig" \
    --authorization-kubeconfig="$cluster_dir/kcm.kubeconfig" --bind-address=127.0.0.1 --secure-port="$cluster_kcm_port" \
    --cert-dir="$cluster_dir/kcm-certs" --leader-elect=false --use-service-account-credentials=true \
    --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
    --cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key"
  start_daemon kube-scheduler "${node_exec[@]}" "$c_node_bin/kube-scheduler" --kubeconfig="$cluster_dir/scheduler.kubeconfig" \
    --authentication-kubeconfig="$cluster_dir/scheduler.kubeconfig" --authorization-kubeconfig="$cluster_dir/scheduler.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port="$cluster_scheduler_port" --leader-elect=false
  # Service names for pods (the kubelet's clusterDNS): on the node's address, which pods reach
  # through their bridge's gateway.
  cat >"$cluster_dir/Corefile" <<COREFILE
.:53 {
    bind $cluster_node_ip
    errors
    ready 127.0.0.1:$cluster_dns_ready_port
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig $cluster_kubeconfig
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
}
COREFILE
  start_daemon coredns "${node_exec[@]}" "$c_coredns_bin/coredns" -conf "$cluster_dir/Corefile"

  cluster_containerd_config
  # containerd finds the shim on PATH: ours first (Debian's containerd package ships an older one).
  start_daemon containerd "${node_exec[@]}" env PATH="$c_containerd_bin:$PATH" "$c_containerd_bin/containerd" \
    --config "$cluster_dir/containerd/config.toml"
  cluster_wait 60 containerd cluster_ctr version
  cluster_ctr images import "$cluster_dir/pause.tar" >>"$logs/containerd.log" 2>&1 ||
    fail_with_log containerd "ctr could not import the pause image"

  cluster_kubelet_config
  start_daemon kubelet "${node_exec[@]}" "$c_node_bin/kubelet" --config="$cluster_dir/kubelet/config.yaml" \
    --kubeconfig="$cluster_dir/node.kubeconfig" --root-dir="$cluster_dir/kubelet/root" \
    --cert-dir="$cluster_dir/kubelet/pki" --hostname-override="$cluster_node" --node-ip="$cluster_node_ip" --v=1
  cluster_kube_proxy_config
  start_daemon kube-proxy "${node_exec[@]}" "$c_node_bin/kube-proxy" --config="$cluster_dir/kube-proxy/config.yaml"
  cluster_wait 60 kube-controller-manager cluster_healthz "https://127.0.0.1:$cluster_kcm_port/healthz"
  cluster_wait 60 kube-scheduler cluster_healthz "https://127.0.0.1:$cluster_scheduler_port/healthz"
  cluster_wait 60 kube-proxy cluster_healthz_plain "http://127.0.0.1:$cluster_proxy_healthz/healthz"
  cluster_wait 60 coredns cluster_healthz_plain "http://127.0.0.1:$cluster_dns_ready_port/ready"
  cluster_wait 120 kubelet cluster_node_ready
  log "cluster: node $cluster_node Ready in $(($(date +%s) - started))s (API https://$cluster_node_ip:$cluster_api_port)"
}

cluster_healthz_plain() { in_node curl -fsS --max-time 3 "$1" >/dev/null 2>&1; }

cluster_containerd_config() {
  local c=$cluster_dir/containerd
  cat >"$c/config.toml" <<TOML
version = 3
root = '$c/root'
state = '$c/state'
[grpc]
  address = '$c/containerd.sock'
[ttrpc]
  address = '$c/containerd.sock.ttrpc'
[plugins]
  [plugins.'io.containerd.cri.v1.images']
    snapshotter = 'overlayfs'
    [plugins.'io.containerd.cri.v1.images'.pinned_images]
      sandbox = '$cluster_pause_image'
  [plugins.'io.containerd.cri.v1.runtime']
    # Without CAP_SYS_RESOURCE (many CI VMs) runc cannot lower oom_score_adj as the kubelet asks
    # for sandboxes, and every sandbox fails; this keeps containerd's own value instead.
    restrict_oom_score_adj = true
    [plugins.'io.containerd.cri.v1.runtime'.containerd]
      default_runtime_name = 'runc'
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
        runtime_type = 'io.containerd.runc.v2'
        [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
          BinaryName = '$(command -v runc)'
          Root = '$c/runc'
          SystemdCgroup = false
    [plugins.'io.containerd.cri.v1.runtime'.cni]
      bin_dirs = ['/usr/lib/cni']
      conf_dir = '$cluster_dir/cni/net.d'
TOML
  cat >"$cluster_dir/cni/net.d/10-reaper-node.conflist" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "reaper-node-pods",
  "plugins": [
    {"type": "bridge", "bridge": "$cluster_bridge", "isGateway": true, "ipMasq": true, "hairpinMode": true,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": "$cluster_pod_cidr"}]], "routes": [{"dst": "0.0.0.0/0"}],
              "dataDir": "$cluster_dir/cni/ipam"}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
JSON
}

cluster_kubelet_config() {
  cat >"$cluster_dir/kubelet/config.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://$cluster_dir/containerd/containerd.sock
failSwapOn: false
address: $cluster_node_ip
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $cluster_kubelet_healthz
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $cluster_dir/pki/ca.crt}
authorization: {mode: Webhook}
clusterDomain: cluster.local
clusterDNS: [$cluster_node_ip]
podCIDR: $cluster_pod_cidr
podLogsDir: $cluster_dir/pod-logs
resolvConf: /etc/resolv.conf
serializeImagePulls: false
# A test machine's disk is often nearly full: never evict, never collect images (none can be pulled back).
evictionHard: {memory.available: 1Mi, nodefs.available: 1%, nodefs.inodesFree: 1%, imagefs.available: 1%}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
YAML
}

cluster_kube_proxy_config() {
  cat >"$cluster_dir/kube-proxy/config.yaml" <<YAML
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clientConnection: {kubeconfig: $cluster_dir/kube-proxy.kubeconfig}
hostnameOverride: $cluster_node
clusterCIDR: $cluster_pod_cidr
healthzBindAddress: 127.0.0.1:$cluster_proxy_healthz
metricsBindAddress: 127.0.0.1:10249
nodePortAddresses: [primary]
iptables: {localhostNodePorts: false}
# Host-wide sysctls stay as they are.
conntrack: {maxPerCore: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s, udpTimeout: 0s, udpStreamTimeout: 0s}
YAML
}

# cluster_load_image IMAGE: the node pulls nothing; images come from Docker (`docker save`).
cluster_load_image() {
  cluster_load && [ -S "$cluster_dir/containerd/containerd.sock" ] || die "the cluster is not up (scripts/testenv up cluster)"
  local saved=$cluster_dir/load-image.tar
  docker -H "$docker_host" save "$1" -o "$saved" || die "docker save $1 failed"
  cluster_ctr images import "$saved" >/dev/null || { rm -f "$saved"; die "ctr images import of $1 failed"; }
  rm -f "$saved"
  log "cluster: $1 imported into the node's containerd"
}

# ---------------------------------------------------------------------------------------- status
cluster_running() {
  local name
  for name in $cluster_daemons; do daemon_pid "$name" >/dev/null || return 1; done
  cluster_api_ready && cluster_node_ready
}

cluster_status() {
  local run=$cluster_run logs=$cluster_logs
  if ! cluster_load; then
    log "cluster: not started"
    return 1
  fi
  if cluster_running; then
    log "cluster: node $cluster_node Ready, API https://$cluster_node_ip:$cluster_api_port"
    return 0
  fi
  log "cluster: not healthy (logs: $logs)"
  return 1
}

# ---------------------------------------------------------------------------------------- down
cluster_kill_pod_processes() {
  local attempt procs pid any
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    any=""
    for procs in $(find /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods -name cgroup.procs 2>/dev/null); do
      while read -r pid; do kill -KILL "$pid" 2>/dev/null && any=1; done <"$procs"
    done
    [ -n "$any" ] || return 0
    sleep 0.3
  done
}

cluster_down_quiet() { cluster_down >/dev/null 2>&1 || true; }

cluster_down() {
  [ -d "$cluster_dir" ] || return 0
  local run=$cluster_run logs=$cluster_logs
  cluster_load || true
  local pid name
  if [ -n "$c_k8s_bin" ] && daemon_pid kube-apiserver >/dev/null && daemon_pid kubelet >/dev/null; then
    # Through the API first, so the kubelet tears each pod down (CNI DEL, mounts, cgroups).
    cluster_kubectl delete daemonsets,deployments,replicasets,statefulsets,jobs --all -A --wait=false >/dev/null 2>&1 || true
    cluster_kubectl delete pods --all -A --grace-period=1 --timeout=60s >/dev/null 2>&1 || true
  fi
  for name in kube-proxy kubelet; do stop_daemon "$name"; done
  if daemon_pid containerd >/dev/null; then
    # Whatever the kubelet left: stop and remove every sandbox and container through CRI's store.
    for name in $(cluster_ctr tasks ls -q 2>/dev/null); do cluster_ctr tasks kill -s SIGKILL "$name" >/dev/null 2>&1 || true; done
    sleep 1
    for name in $(cluster_ctr tasks ls -q 2>/dev/null); do cluster_ctr tasks rm -f "$name" >/dev/null 2>&1 || true; done
    for name in $(cluster_ctr containers ls -q 2>/dev/null); do cluster_ctr containers rm "$name" >/dev/null 2>&1 || true; done
  fi
  stop_daemon containerd
  # Shims outlive containerd by design; ours name our socket on their command line.
  for pid in $(pgrep -f "containerd-shim-runc-v2 .*-address $cluster_dir/containerd/containerd.sock" || true); do
    kill -KILL "$pid" 2>/dev/null || true
  done
  for name in coredns kube-scheduler kube-controller-manager kube-apiserver etcd; do stop_daemon "$name"; done
  # What a killed kubelet or containerd left running: every process in the kubelet's cgroups
  # (with one cluster per host, only this cluster's pods are there), when this state directory's
  # cluster is the one that runs here.
  if [ "$(cat "$cluster_dir/netns.owner" 2>/dev/null)" = "$cluster_dir" ]; then cluster_kill_pod_processes; fi
  # Pods' network namespaces that the runtime did not delete: those whose veth peers are in the
  # node's namespace.
  for name in $(ip -n "$cluster_netns" -o link show type veth 2>/dev/null | grep -o 'link-netns cni-[0-9a-f-]*' | cut -d' ' -f2 || true); do
    ip netns delete "$name" 2>/dev/null || true
  done
  # libcni's result cache of this runtime's sandboxes (loopback and pod network), named by sandbox id.
  for name in "$cluster_dir"/containerd/root/io.containerd.grpc.v1.cri/sandboxes/*; do
    [ -e "$name" ] || continue
    rm -f /var/lib/cni/results/*-"${name##*/}"-*
  done
  # Mounts under the state directory (rootfs overlays, sandbox /dev/shm, projected volumes), deepest first.
  awk -v d="$cluster_dir/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
    while read -r name; do umount -l "$name" 2>/dev/null || true; done
  # The namespace holds every iptables rule, the pod bridge and the veth pair: deleting it removes them.
  if [ "$(cat "$cluster_dir/netns.owner" 2>/dev/null)" = "$cluster_dir" ]; then
    ip netns delete "$cluster_netns" 2>/dev/null || true
    ip link del "$cluster_host_if" 2>/dev/null || true
    rm -f "$cluster_dir/netns.owner"
  fi
  # The kubelet's cgroups (cgroup v1: one tree per controller; v2: one), deepest first.
  for name in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
    [ -d "$name" ] && find "$name" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
  # Paths the kubelet and libcni use whatever their flags say.
  rm -rf /var/lib/kubelet/device-plugins /var/lib/kubelet/plugins_registry /var/lib/kubelet/plugins /var/lib/kubelet/pod-resources
  rmdir /var/lib/kubelet 2>/dev/null || true
  find /var/log/containers -maxdepth 1 -type l -lname "$cluster_dir/*" -delete 2>/dev/null || true
  rmdir /var/log/containers 2>/dev/null || true
  rm -f /var/lib/cni/results/reaper-node-pods-* && rmdir /var/lib/cni/results /var/lib/cni 2>/dev/null || true
  # Everything else it wrote is in the state directory; the logs stay.
  rm -rf "${cluster_dir:?}"
  log "cluster: down"
}
