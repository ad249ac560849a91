# Docker Engine from Debian's docker.io, the CNI plugins, and the tiny test image.
# shellcheck shell=bash

docker_host=${DOCKER_HOST:-unix:///var/run/docker.sock}
test_image=reaper-test/busybox:1

docker_answers() { docker -H "$docker_host" version >/dev/null 2>&1; }

docker_up() {
  ensure_packages docker.io containernetworking-plugins busybox-static iptables
  [ -x /usr/lib/cni/host-local ] || die "/usr/lib/cni/host-local is missing although containernetworking-plugins is installed"
  if docker_answers; then
    [ -f "$state/started-docker" ] || log "using the Docker engine already answering at $docker_host"
  else
    case $docker_host in
      unix:///var/run/docker.sock) ;;
      *) die "no Docker engine answers at DOCKER_HOST=$docker_host, and testenv only starts one on the default socket" ;;
    esac
    # A dockerd that died uncleanly leaves its pid file behind and refuses to start again.
    if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
      rm -f /var/run/docker.pid
    fi
    log "starting dockerd (log: $logs/dockerd.log)"
    start_daemon dockerd dockerd --host=unix:///var/run/docker.sock
    touch "$state/started-docker"
    wait_until 60 dockerd docker_answers || fail_with_log dockerd "dockerd did not answer within 60s"
  fi
  docker_test_image
}

# No image registry is reachable: the image is a busybox-static rootfs, imported.
docker_test_image() {
  docker -H "$docker_host" image inspect "$test_image" >/dev/null 2>&1 && return 0
  local rootfs applet
  rootfs=$(mktemp -d)
  mkdir -p "$rootfs/bin" "$rootfs/tmp" "$rootfs/etc"
  cp /bin/busybox "$rootfs/bin/busybox"
  for applet in sh sleep true false cat echo ls ps kill; do ln -s busybox "$rootfs/bin/$applet"; done
  tar -C "$rootfs" -c . | docker -H "$docker_host" import -c 'CMD ["sleep", "3600"]' - "$test_image" >/dev/null ||
    { rm -rf "$rootfs"; die "docker import of $test_image failed"; }
  rm -rf "$rootfs"
  log "built image $test_image"
}

docker_down() {
  [ -f "$state/started-docker" ] || return 0
  stop_daemon dockerd
  rm -f "$state/started-docker"
}

docker_status() { docker_answers && docker -H "$docker_host" image inspect "$test_image" >/dev/null 2>&1; }
