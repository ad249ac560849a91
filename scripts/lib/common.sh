# Shared by scripts/testenv and its parts: state layout, logging, locking, processes, packages,
# ports.
# shellcheck shell=bash

# shellcheck disable=SC2034 # used by scripts/lib/kube.sh
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
state=${REAPER_TESTENV_DIR:-/tmp/reaper-testenv}
logs=$state/logs
run=$state/run

log() { printf 'testenv: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

ensure_state_dirs() { mkdir -p "$logs" "$run"; }

# Seconds to wait for an engine; REAPER_TESTENV_TIMEOUT overrides every default (slow machines).
timeout_for() { printf '%s' "${REAPER_TESTENV_TIMEOUT:-$1}"; }

# One `up` or `down` at a time per state dir. File descriptor 8 holds the lock; every daemon is
# started with it closed, or the lock would live as long as the daemon.
take_lock() {
  ensure_state_dirs
  exec 8>"$state/lock"
  if ! flock -n 8; then
    log "waiting for another scripts/testenv up/down on $state to finish"
    flock -w 1800 8 || die "$state/lock was held for 30 minutes by another scripts/testenv"
  fi
}

# start_daemon NAME COMMAND...: runs COMMAND detached from this shell (it must outlive
# `testenv up`) in a session of its own, appends its output to logs/NAME.log, records its pid.
start_daemon() {
  local name=$1
  shift
  printf '\n==== scripts/testenv %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >>"$logs/$name.log"
  # setsid does not fork here (a background job is no process group leader), so $! is the daemon.
  setsid "$@" >>"$logs/$name.log" 2>&1 </dev/null 8>&- &
  echo $! >"$run/$name.pid"
}

# daemon_pid NAME: prints the pid recorded for NAME when that process is alive and still runs a
# binary called NAME (a pid file that outlived a reboot or a crash may name someone else).
daemon_pid() {
  local file=$run/$1.pid pid exe
  [ -f "$file" ] || return 1
  pid=$(cat "$file")
  case $pid in '' | *[!0-9]*) return 1 ;; esac
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
  exe=${exe% (deleted)}
  [ "${exe##*/}" = "$1" ] || return 1
  printf '%s' "$pid"
}

# daemon_exe NAME: the binary the running daemon was started from.
daemon_exe() {
  local pid exe
  pid=$(daemon_pid "$1") || return 1
  exe=$(readlink "/proc/$pid/exe") || return 1
  printf '%s' "${exe% (deleted)}"
}

# stop_daemon NAME [GRACE_SECONDS]: SIGTERM, then SIGKILL to its whole process group after the
# grace period; removes the pid file. Only ever touches a pid that testenv recorded.
stop_daemon() {
  local name=$1 grace=${2:-15} pid deadline
  if pid=$(daemon_pid "$name"); then
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$(($(date +%s) + grace))
    while [ -e "/proc/$pid/exe" ] && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.2; done
    if [ -e "/proc/$pid/exe" ]; then
      log "$name did not stop within ${grace}s; killing its process group"
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$run/$name.pid"
}

# wait_for SECONDS NAME COMMAND...: polls COMMAND until it succeeds. Returns 1 on timeout and 2
# as soon as the daemon NAME has exited (no point waiting for a dead process).
wait_for() {
  local seconds=$1 name=$2 deadline
  shift 2
  deadline=$(($(date +%s) + seconds))
  until "$@" >/dev/null 2>&1; do
    daemon_pid "$name" >/dev/null || return 2
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# fail_with_log NAME MESSAGE: the error, then the end of NAME's log, then exit 1.
fail_with_log() {
  log "error: $2"
  show_log_tail "$1"
  exit 1
}

show_log_tail() {
  log "last lines of $logs/$1.log:"
  tail -n 40 "$logs/$1.log" 2>/dev/null | sed 's/^/  | /' >&2 || true
}

# address_in_use NAME: the last start of NAME failed because a port was taken.
address_in_use() {
  awk '/^==== scripts\/testenv / { n = NR } { line[NR] = $0 } END { for (i = n; i <= NR; i++) print line[i] }' \
    "$logs/$1.log" 2>/dev/null | grep -qi 'address already in use'
}

apt_updated=""
# ensure_packages PACKAGE...: installs the Debian packages that are missing (a fresh CI machine
# has none of them): `apt-get update` once per run, then one `apt-get install`. apt's output goes
# to logs/apt.log, shown when it fails.
ensure_packages() {
  local missing=() package
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "missing packages ${missing[*]} and no apt-get to install them"
  [ "$(id -u)" -eq 0 ] || die "missing Debian packages: ${missing[*]} (run as root, or: apt-get install ${missing[*]})"
  ensure_state_dirs
  log "installing Debian packages: ${missing[*]} (log: $logs/apt.log)"
  # Without an init system a package's maintainer scripts must not start services (dockerd would
  # come up outside testenv's control); policy-rc.d says so for the length of the install.
  local policy=/usr/sbin/policy-rc.d placed="" status=0 started
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && placed=1
  fi
  started=$(date +%s)
  printf '\n==== scripts/testenv %s: apt-get install %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "${missing[*]}" >>"$logs/apt.log"
  if [ -z "$apt_updated" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update </dev/null >>"$logs/apt.log" 2>&1 || status=$?
    apt_updated=1
  fi
  if [ $status -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}" \
      </dev/null >>"$logs/apt.log" 2>&1 || status=$?
  fi
  [ -z "$placed" ] || rm -f "$policy"
  [ $status -eq 0 ] || fail_with_log apt "apt-get could not install ${missing[*]} (exit $status)"
  log "installed ${missing[*]} in $(($(date +%s) - started))s"
}

# pick_ports N: N distinct TCP ports on which nothing listens or connects now, chosen at random
# outside the kernel's ephemeral range, so outgoing connections cannot take one before its daemon
# binds it. The daemons' starts still retry on "address already in use".
pick_ports() {
  local n=$1 low high from to used=" " file addr port picked=()
  read -r low high </proc/sys/net/ipv4/ip_local_port_range
  if [ "$low" -gt 12000 ]; then
    from=10000 to=$((low - 1))
  elif [ "$high" -lt 63000 ]; then
    from=$((high + 1)) to=65535
  else
    from=10000 to=65000
  fi
  for file in /proc/net/tcp /proc/net/tcp6; do
    [ -r "$file" ] || continue
    while read -r _ addr _; do
      [ "$addr" = local_address ] && continue
      used+="$((16#${addr##*:})) "
    done <"$file"
  done
  while [ ${#picked[@]} -lt "$n" ]; do
    port=$((from + ((RANDOM << 15) | RANDOM) % (to - from + 1)))
    case $used in *" $port "*) continue ;; esac
    picked+=("$port")
    used+="$port "
  done
  printf '%s\n' "${picked[*]}"
}
