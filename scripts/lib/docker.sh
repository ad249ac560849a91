# Docker Engine (Debian's docker.io), the CNI plugins, and the tiny test image.
# shellcheck shell=bash
# shellcheck disable=SC2154 # state, run and logs come from scripts/lib/common.sh

default_docker_host=unix:///var/run/docker.sock
docker_host=${DOCKER_HOST:-$default_docker_host}
test_image=reaper-test/busybox:1
cni_path=/usr/lib/cni
# busybox applets linked into the test image; /bin/busybox answers for each name.
test_image_applets="sh sleep true false echo cat ls ps kill env id hostname mkdir rm touch wc grep head tail date sync"

dockercli() { docker -H "$docker_host" "$@"; }
docker_answers() { dockercli version >/dev/null 2>&1; }
docker_image_present() { dockercli image inspect "$test_image" >/dev/null 2>&1; }
cni_present() { [ -x "$cni_path/host-local" ]; }

# docker_packages: the Debian packages Docker's part needs on this machine. The engine's own
# (docker.io, iptables) only when no engine answers or there is no docker client at all; the
# client on PATH may be newer than Debian's engine, the API version negotiates down.
docker_packages() {
  # iproute2 and util-linux: the tests' private engines run in network namespaces of their own.
  echo busybox-static containernetworking-plugins iproute2 util-linux
  if ! command -v docker >/dev/null || ! docker_answers; then echo docker.io iptables; fi
  # scripts/build-image fetches the image's Node.js through pip (the image tests build it).
  if ! python3 -m pip --version >/dev/null 2>&1; then echo python3-pip; fi
}

docker_up() {
  # shellcheck disable=SC2046 # a list of package names
  ensure_packages $(docker_packages)
  cni_present || die "$cni_path/host-local is missing although containernetworking-plugins is installed"

  if docker_answers; then
    if [ -f "$state/started-docker" ] && daemon_pid dockerd >/dev/null; then
      log "reusing dockerd (started by testenv) at $docker_host"
    else
      rm -f "$state/started-docker" "$run/dockerd.pid"
      log "using the Docker engine that already answers at $docker_host (testenv will not stop it)"
    fi
  else
    docker_start
  fi
  docker_test_image
}

docker_start() {
  [ "$docker_host" = "$default_docker_host" ] ||
    die "no Docker engine answers at DOCKER_HOST=$docker_host; testenv starts dockerd only on $default_docker_host (unset DOCKER_HOST, or start that engine)"
  local wait
  wait=$(timeout_for 60)
  # A dockerd that is alive but not answering yet (someone else's, still starting): wait for it
  # rather than start a second one on the same socket.
  local other
  if [ -f /var/run/docker.pid ] && other=$(cat /var/run/docker.pid) && [ -e "/proc/$other/exe" ] &&
    [ "$other" != "$(daemon_pid dockerd || true)" ]; then
    log "a dockerd (pid $other) runs but does not answer yet; waiting up to ${wait}s"
    local deadline=$(($(date +%s) + wait))
    until docker_answers; do
      [ "$(date +%s)" -lt "$deadline" ] || die "dockerd pid $other, not started by testenv, did not answer at $docker_host within ${wait}s"
      sleep 0.5
    done
    return 0
  fi
  # A dockerd that died uncleanly leaves its pid file behind and then refuses to start.
  rm -f /var/run/docker.pid
  stop_daemon dockerd 30
  log "starting dockerd (log: $logs/dockerd.log)"
  touch "$state/started-docker"
  start_daemon dockerd dockerd --host="$default_docker_host"
  local code=0
  wait_for "$wait" dockerd docker_answers || code=$?
  case $code in
    0) log "dockerd answers ($(dockercli version --format '{{.Server.Version}}, API {{.Server.APIVersion}}' 2>/dev/null))" ;;
    2) rm -f "$state/started-docker" && fail_with_log dockerd "dockerd exited during start" ;;
    *) stop_daemon dockerd 30 && rm -f "$state/started-docker" && fail_with_log dockerd "dockerd did not answer within ${wait}s" ;;
  esac
}

# No image registry is reachable: the test image is a busybox-static root filesystem, imported.
docker_test_image() {
  docker_image_present && return 0
  local rootfs applet
  rootfs=$(mktemp -d)
  mkdir -p "$rootfs/bin" "$rootfs/tmp" "$rootfs/etc" "$rootfs/proc" "$rootfs/sys" "$rootfs/dev"
  chmod 1777 "$rootfs/tmp"
  cp /bin/busybox "$rootfs/bin/busybox"
  for applet in $test_image_applets; do ln -s busybox "$rootfs/bin/$applet"; done
  printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
  if ! tar -C "$rootfs" -c . | dockercli import \
    -c 'CMD ["sleep", "3600"]' -c 'ENV PATH=/bin' -c 'LABEL dev.reaper.test-image=1' - "$test_image" >/dev/null; then
    rm -rf "$rootfs"
    die "docker import of $test_image failed"
  fi
  rm -rf "$rootfs"
  log "created image $test_image (busybox-static; applets: $test_image_applets)"
}

docker_down() {
  if [ -f "$state/started-docker" ]; then
    stop_daemon dockerd 60
    rm -f "$state/started-docker"
  else
    rm -f "$run/dockerd.pid"
  fi
}

# docker_status: one line per part on stdout; 0 when Docker, the image and the CNI plugins are
# all there.
docker_status() {
  local ok=0 who="not started by testenv"
  [ -f "$state/started-docker" ] && daemon_pid dockerd >/dev/null && who="started by testenv, pid $(daemon_pid dockerd)"
  if docker_answers; then
    printf 'docker        up    %s (engine %s; %s)\n' "$docker_host" \
      "$(dockercli version --format '{{.Server.Version}}, API {{.Server.APIVersion}}' 2>/dev/null)" "$who"
    if docker_image_present; then
      printf 'test image    ok    %s\n' "$test_image"
    else
      printf 'test image    MISSING %s\n' "$test_image"
      ok=1
    fi
  else
    printf 'docker        DOWN  nothing answers at %s\n' "$docker_host"
    ok=1
  fi
  if cni_present; then
    printf 'cni           ok    %s/host-local\n' "$cni_path"
  else
    printf 'cni           MISSING %s/host-local\n' "$cni_path"
    ok=1
  fi
  return $ok
}
