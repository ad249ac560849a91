# Shared by scripts/testenv and its parts: state layout, logging, processes, packages.
# shellcheck shell=bash

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
state=${REAPER_TESTENV_DIR:-/tmp/reaper-testenv}
logs=$state/logs
run=$state/run

log() { printf 'testenv: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

ensure_state_dirs() { mkdir -p "$logs" "$run"; }

# Starts a long-lived process detached from this shell (it must outlive `testenv up`), records its pid.
start_daemon() {
  local name=$1
  shift
  setsid "$@" >>"$logs/$name.log" 2>&1 </dev/null &
  echo $! >"$run/$name.pid"
}

pid_alive() {
  local file=$run/$1.pid
  [ -f "$file" ] && kill -0 "$(cat "$file")" 2>/dev/null
}

# SIGTERM, then SIGKILL after a grace period; removes the pid file.
stop_daemon() {
  local name=$1 pid waited=0
  [ -f "$run/$name.pid" ] || return 0
  pid=$(cat "$run/$name.pid")
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null && [ $waited -lt 100 ]; do sleep 0.1; waited=$((waited + 1)); done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$run/$name.pid"
}

# wait_until SECONDS WHAT COMMAND...: polls COMMAND until it succeeds.
wait_until() {
  local seconds=$1 what=$2 deadline
  shift 2
  deadline=$(($(date +%s) + seconds))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.2
  done
  log "$what is ready"
}

fail_with_log() {
  local name=$1 message=$2
  log "error: $message; last lines of $logs/$name.log:"
  tail -n 30 "$logs/$name.log" >&2 || true
  exit 1
}

apt_updated=""
# Installs Debian packages that are missing; a fresh CI machine has none of them.
ensure_packages() {
  local missing=() package
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "missing Debian packages: ${missing[*]} (run as root, or install them: apt-get install ${missing[*]})"
  log "installing ${missing[*]}"
  if [ -z "$apt_updated" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || die "apt-get update failed"
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
    die "apt-get install ${missing[*]} failed"
}

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}
