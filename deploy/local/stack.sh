#!/usr/bin/env bash
# Local, no-Docker runtime for Waspada: Kafka (KRaft, jars from Maven Central), PostgreSQL,
# Prometheus and the services, as plain detached processes with pid files under .local/run.
#
#   stack.sh setup             install what is missing (apt, .venv, Kafka jars); idempotent
#   stack.sh up [names...]     start what is not running, return when all are ready
#   stack.sh down [names...]   stop (reverse order), TERM -> 15 s -> KILL
#   stack.sh status            one line per process
#   stack.sh clean [--all]     down + delete .local data/logs (keeps Kafka jars and .venv;
#                              --all also deletes those)
#   stack.sh is-up             exit 0 iff every process is running (for scripts)
#   stack.sh stopped           print the names that are not running (for scripts)
#
# Names, in start order: kafka postgres prometheus intake scoring notify receiver console.
# Ports/URLs live in env.sh. WASPADA_SERVICE_CMD_<NAME> (e.g. WASPADA_SERVICE_CMD_INTAKE)
# replaces a service's command line (word-split by bash), for tests with stubs.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=env.sh
source "$HERE/env.sh"

ROOT="$WASPADA_ROOT"
LOCAL="$WASPADA_LOCAL"
RUN="$LOCAL/run"
LOGDIR="$LOCAL/log"
KAFKA_HOME="$LOCAL/kafka"
KAFKA_LIB="$KAFKA_HOME/lib"
KAFKA_DATA="$KAFKA_HOME/data"
KAFKA_POM="$ROOT/deploy/kafka/pom.xml"
KAFKA_LOG4J="$ROOT/deploy/kafka/log4j.properties"
PG_DATA="$LOCAL/postgres/data"
PG_SOCKET_DIR="${PG_SOCKET_DIR:-$RUN/pg}"
PROM_CONFIG="$ROOT/deploy/prometheus/prometheus.local.yml"   # rendered with env.sh's ports into .local
PROM_DATA="$LOCAL/prometheus/data"
PROMETHEUS_BIN="${PROMETHEUS_BIN:-prometheus}"
PROMTOOL_BIN="${PROMTOOL_BIN:-promtool}"
VENV_STAMP="$WASPADA_VENV/.waspada-installed"
VENV_LOCK="$ROOT/requirements/dev.txt"   # make lock writes it from pyproject.toml
READY_TIMEOUT="${WASPADA_READY_TIMEOUT:-60}"
STOP_TIMEOUT="${WASPADA_STOP_TIMEOUT:-15}"

ALL=(kafka postgres prometheus intake scoring notify receiver console)

say() { printf '[stack] %s\n' "$*"; }
die() { printf '[stack] ERROR: %s\n' "$*" >&2; exit 1; }
now_ms() { echo $(( ${EPOCHREALTIME/./} / 1000 )); }
since() { local ms=$(( $(now_ms) - $1 )); printf '%d.%01ds' $((ms / 1000)) $((ms % 1000 / 100)); }

port_of() {
  case "$1" in
    kafka) echo "$KAFKA_PORT" ;;  postgres) echo "$PG_PORT" ;;  prometheus) echo "$PROMETHEUS_PORT" ;;
    intake) echo "$INTAKE_PORT" ;;  scoring) echo "$SCORING_PORT" ;;  notify) echo "$NOTIFY_PORT" ;;
    receiver) echo "$RECEIVER_PORT" ;;  console) echo "$CONSOLE_PORT" ;;
    *) die "unknown process '$1' (known: ${ALL[*]})" ;;
  esac
}

java_bin() {
  if [[ -n "${JAVA:-}" ]]; then echo "$JAVA"; return; fi
  local j
  for j in /usr/lib/jvm/java-17-openjdk-*/bin/java; do [[ -x "$j" ]] && { echo "$j"; return; }; done
  echo java
}

port_open() { (exec 3<>"/dev/tcp/$WASPADA_HOST/$1") 2>/dev/null; }

# ----------------------------------------------------------------------------------------
# setup
# ----------------------------------------------------------------------------------------

java_major() {
  local v
  v="$("$(java_bin)" -version 2>&1 | awk -F'"' '/version/ {print $2; exit}')" || return 0
  v="${v#1.}"; echo "${v%%.*}"
}

python311() {
  # A python3.11 that can create venvs (Debian splits ensurepip into python3.11-venv).
  local p
  for p in "${WASPADA_BOOTSTRAP_PYTHON:-}" python3.11 /usr/bin/python3.11; do
    [[ -n "$p" ]] || continue
    if "$p" -c 'import sys, venv, ensurepip; assert sys.version_info[:2] == (3, 11)' >/dev/null 2>&1; then
      echo "$p"; return 0
    fi
  done
  return 1
}

apt_install() {
  # Debian's postgresql/prometheus packages start system-wide daemons (5432/9090) on install.
  # A temporary policy-rc.d forbids that; we only ever run our own instances on other ports.
  local policy=/usr/sbin/policy-rc.d ours=0 rc=0
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\n# temporary, from waspada deploy/local/stack.sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"; ours=1
  fi
  say "setup: apt-get install $*"
  { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null; } || rc=$?
  [[ $ours == 1 ]] && rm -f "$policy"
  [[ $rc == 0 ]] || die "apt-get install failed ($rc)"
  # On systemd machines also keep them from starting at boot (ports differ anyway).
  if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null; then
    systemctl disable --now postgresql.service prometheus.service >/dev/null 2>&1 || true
  fi
}

setup_packages() {
  local pkgs=()
  local jm; jm="$(java_major || true)"
  [[ -n "$jm" && "$jm" -ge 17 ]] 2>/dev/null || pkgs+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null || pkgs+=(maven)
  [[ -x "$PG_BIN/postgres" ]] || pkgs+=(postgresql-15)
  command -v "$PROMETHEUS_BIN" >/dev/null || pkgs+=(prometheus)
  command -v curl >/dev/null || pkgs+=(curl)
  command -v setpriv >/dev/null || pkgs+=(util-linux)
  python311 >/dev/null || pkgs+=(python3.11 python3.11-venv)
  # The console's end-to-end tests drive Debian's chromium through Playwright (no browser download).
  command -v "${WASPADA_CHROMIUM:-chromium}" >/dev/null || pkgs+=(chromium)
  if ((${#pkgs[@]})); then
    [[ $EUID == 0 ]] || die "missing packages (${pkgs[*]}); run 'stack.sh setup' as root"
    apt_install "${pkgs[@]}"
  fi
  [[ -x "$PG_BIN/postgres" ]] || die "no PostgreSQL binaries in $PG_BIN (set PG_BIN)"
}

setup_pg_user() {
  # initdb/postgres refuse to run as root: they run as this unprivileged system user.
  id -u "$PG_OS_USER" >/dev/null 2>&1 && return 0
  [[ $EUID == 0 ]] || die "system user '$PG_OS_USER' missing and we are not root"
  say "setup: creating system user $PG_OS_USER (runs PostgreSQL)"
  useradd --system --user-group --no-create-home --home-dir /nonexistent \
          --shell /usr/sbin/nologin "$PG_OS_USER"
}

setup_venv() {
  if [[ -x "$WASPADA_PYTHON" ]] && ! "$WASPADA_PYTHON" -c 'import sys' >/dev/null 2>&1; then
    say "setup: .venv is broken (interpreter moved?), recreating"; rm -rf "$WASPADA_VENV"
  fi
  if [[ ! -x "$WASPADA_PYTHON" ]]; then
    local py; py="$(python311)" || die "no usable python3.11"
    say "setup: creating $WASPADA_VENV ($py)"
    "$py" -m venv "$WASPADA_VENV"
    rm -f "$VENV_STAMP"
  fi
  if [[ ! -e "$VENV_STAMP" || "$VENV_LOCK" -nt "$VENV_STAMP" || "$ROOT/pyproject.toml" -nt "$VENV_STAMP" ]]; then
    local t0; t0="$(now_ms)"
    # Exactly the locked versions, each checked against its hash (requirements/dev.txt, `make lock`);
    # then the project itself, built with the locked setuptools (no isolated build env, which would
    # fetch an unpinned one) and without dependencies (they are all in the lock).
    say "setup: pip install --require-hashes -r ${VENV_LOCK#"$ROOT"/} (can take a few minutes the first time)"
    (cd "$ROOT" && "$WASPADA_PYTHON" -m pip install -q --require-hashes --no-deps -r "$VENV_LOCK" &&
      PYTHONWARNINGS=ignore "$WASPADA_PYTHON" -m pip install -q --no-deps --no-build-isolation -e .) \
      || die "pip install failed"   # (PYTHONWARNINGS: setuptools' generic note on editable installs)
    touch "$VENV_STAMP"
    say "setup: venv ready ($(since "$t0"))"
  fi
}

setup_kafka_jars() {
  local want have=""
  want="$(sha256sum "$KAFKA_POM" | cut -d' ' -f1)"
  [[ -f "$KAFKA_LIB/.pom.sha256" ]] && have="$(cat "$KAFKA_LIB/.pom.sha256")"
  [[ "$want" == "$have" ]] && return 0
  local t0; t0="$(now_ms)"
  say "setup: fetching Kafka jars with Maven into ${KAFKA_LIB#"$ROOT"/}"
  local tmp="$KAFKA_HOME/lib.tmp"
  mkdir -p "$KAFKA_HOME"; rm -rf "$tmp"
  # Maven 3.8 -q still prints colour resets ("\e[0m") on its own: strip them.
  mvn -B -q -Dstyle.color=never -f "$KAFKA_POM" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$tmp" 2>&1 | sed 's/\x1b\[[0-9;]*m//g' \
    || die "mvn failed (see output above)"
  ls "$tmp"/kafka_2.13-*.jar >/dev/null 2>&1 || die "mvn produced no kafka_2.13 jar in $tmp"
  echo "$want" >"$tmp/.pom.sha256"
  # Swap in one step so an interrupted download never leaves a half-filled lib/.
  rm -rf "$KAFKA_LIB"; mv "$tmp" "$KAFKA_LIB"
  say "setup: Kafka jars ready ($(since "$t0"))"
}

# Deployment validators run by make test (tests/unit/deploy), installed into .local by pinned version:
# kubeconform and kube-score from the Go module proxy (go.sum pins their dependencies), the AsyncAPI
# parser from npm (deploy/validators/package-lock.json, npm ci). Go and Node.js are on the machine.
KUBECONFORM_VERSION=v0.7.0
KUBE_SCORE_VERSION=v1.20.0
TOOLS_BIN="$LOCAL/tools/bin"
VALIDATORS="$ROOT/deploy/validators"

setup_go_tool() {  # setup_go_tool NAME MODULE VERSION
  local name=$1 module=$2 version=$3 stamp="$TOOLS_BIN/.$1-$3"
  [[ -x "$TOOLS_BIN/$name" && -e "$stamp" ]] && return 0
  command -v go >/dev/null || die "go not found: it builds $name (validator of deploy/)"
  local t0; t0="$(now_ms)"
  say "setup: go install $module@$version (once per machine, a few minutes)"
  mkdir -p "$TOOLS_BIN"
  GOBIN="$TOOLS_BIN" GOFLAGS=-mod=mod go install "$module@$version" || die "go install $name failed"
  rm -f "$TOOLS_BIN/.$name-"*; touch "$stamp"
  say "setup: $name ready ($(since "$t0"))"
}

setup_validators() {
  setup_go_tool kubeconform github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION"
  setup_go_tool kube-score github.com/zegl/kube-score/cmd/kube-score "$KUBE_SCORE_VERSION"
  local stamp="$VALIDATORS/node_modules/.waspada-installed"
  if [[ ! -e "$stamp" || "$VALIDATORS/package-lock.json" -nt "$stamp" ]]; then
    command -v npm >/dev/null || die "npm not found: it installs the AsyncAPI parser"
    say "setup: npm ci (deploy/validators: @asyncapi/parser)"
    (cd "$VALIDATORS" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null) \
      || die "npm ci failed"
    touch "$stamp"
  fi
}

cmd_setup() {
  mkdir -p "$RUN" "$LOGDIR"
  setup_packages
  setup_pg_user
  setup_venv
  setup_kafka_jars
  setup_validators
}

# ----------------------------------------------------------------------------------------
# process bookkeeping
# ----------------------------------------------------------------------------------------
# Every process we spawn carries WASPADA_STACK_PROC=<name>@<repo root> in its environment
# and is a session leader (setsid), so "is pid N really our kafka?" is answerable even after
# a reboot recycled the pid, and a lost pid file can be recovered. PostgreSQL overwrites its
# environ block (process titles), so it is identified by its own postmaster.pid instead.

marker() { echo "WASPADA_STACK_PROC=$1@$ROOT"; }

is_ours() {  # is_ours NAME PID
  local name=$1 pid=$2
  [[ "$pid" =~ ^[0-9]+$ ]] && [[ -d /proc/$pid ]] || return 1
  grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null && return 1
  if [[ $name == postgres ]]; then
    tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "-D $PG_DATA"
  else
    tr '\0' '\n' 2>/dev/null <"/proc/$pid/environ" | grep -qxF -- "$(marker "$name")"
  fi
}

find_pid() {  # prints the pid of a running NAME, or returns 1
  local name=$1 pid="" f
  [[ -f "$RUN/$name.pid" ]] && pid="$(head -n1 "$RUN/$name.pid" 2>/dev/null || true)"
  if is_ours "$name" "$pid"; then echo "$pid"; return 0; fi
  if [[ $name == postgres ]]; then
    pid="$(head -n1 "$PG_DATA/postmaster.pid" 2>/dev/null || true)"
    if is_ours postgres "$pid"; then echo "$pid" >"$RUN/postgres.pid"; echo "$pid"; return 0; fi
    return 1
  fi
  # Pid file lost or stale: look for the session leader carrying our marker.
  # shellcheck disable=SC2013  # /proc paths have no spaces
  for f in $(grep -lzxF -- "$(marker "$name")" /proc/[0-9]*/environ 2>/dev/null); do
    pid="${f#/proc/}"; pid="${pid%/environ}"
    if [[ "$(awk '{print $6}' "/proc/$pid/stat" 2>/dev/null)" == "$pid" ]] && is_ours "$name" "$pid"; then
      echo "$pid" >"$RUN/$name.pid"; echo "$pid"; return 0
    fi
  done
  return 1
}

spawn() {  # spawn NAME CMD... : detached (own session, stdio to the log), pid -> pid file
  local name=$1; shift
  local pidf="$RUN/$name.pid" log="$LOGDIR/$name.log"
  rm -f "$pidf"
  printf '\n===== %s stack.sh: starting %s =====\n' "$(date -Is)" "$name" >>"$log"
  # bash writes its own pid, then exec()s the command, so the pid file is the real process.
  # fd 9 is the stack lock: the daemon must not inherit it.
  # shellcheck disable=SC2016  # expanded by the inner bash
  env "$(marker "$name")" setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidf" "$@" \
      </dev/null >>"$log" 2>&1 9>&- &
  for _ in $(seq 50); do [[ -s "$pidf" ]] && return 0; sleep 0.1; done
  die "$name: did not start (no pid file); see $log"
}

fail_not_ready() {  # fail_not_ready NAME WHY
  local log="$LOGDIR/$1.log"
  printf '[stack] ERROR: %s: %s. Last lines of %s:\n' "$1" "$2" "${log#"$ROOT"/}" >&2
  # Only this attempt's output: from the last "===== ... starting" banner on.
  awk '/^===== .* stack.sh: starting /{n=0; delete b} {b[n++]=$0} END{s=(n>40?n-40:0); for(i=s;i<n;i++) print "    " b[i]}' \
      "$log" >&2 || true
  # A half-started process would pass for "running" next time: stop it so `up` retries.
  if find_pid "$1" >/dev/null; then
    stop_one "$1" >/dev/null 2>&1 || true
    printf '[stack] (%s stopped again; "up" will retry it)\n' "$1" >&2
  fi
  exit 1
}

probe() {  # probe NAME : one readiness check, no waiting
  local port; port="$(port_of "$1")"
  case "$1" in
    kafka) port_open "$port" ;;   # the real check is create_topics.py, run after a start
    postgres) "$PG_BIN/pg_isready" -q -h "$WASPADA_HOST" -p "$port" -U postgres -d postgres ;;
    prometheus) http_ok "http://$WASPADA_HOST:$port/-/ready" ;;
    receiver) http_ok "http://$WASPADA_HOST:$port/healthz" ;;
    *) http_ok "http://$WASPADA_HOST:$port/readyz" ;;
  esac
}

wait_ready() {  # wait_ready NAME PID TIMEOUT
  local name=$1 pid=$2 timeout=$3
  local deadline=$((SECONDS + timeout))
  while ! probe "$name" >/dev/null 2>&1; do
    is_ours "$name" "$pid" || fail_not_ready "$name" "process $pid exited during startup"
    ((SECONDS < deadline)) || fail_not_ready "$name" "not ready after ${timeout}s"
    sleep 0.25
  done
}

http_ok() { curl -fsS -o /dev/null --max-time 2 "$1"; }

ensure_port_free() {  # something else on our port would make the start fail confusingly
  if port_open "$2"; then
    die "$1: port $WASPADA_HOST:$2 is already in use by another process (not ours); free it or change the port in deploy/local/env.sh"
  fi
}

# ----------------------------------------------------------------------------------------
# start
# ----------------------------------------------------------------------------------------

kafka_java() {  # short-lived Kafka tools; same logging config so stdout stays clean
  "$(java_bin)" -Xmx256m -Dlog4j.configuration="file:$KAFKA_LOG4J" -cp "$KAFKA_LIB/*" "$@"
}

kafka_tls_material() {  # KAFKA_TLS=1: a local CA and the broker's PEM keystore, generated once
  local dir="$KAFKA_TLS_DIR"
  [[ -s "$dir/ca.pem" && -s "$dir/broker.pem" ]] && return 0
  command -v openssl >/dev/null || die "kafka: KAFKA_TLS=1 needs openssl"
  say "kafka: generating a local CA and broker certificate in ${dir#"$ROOT"/} (KAFKA_TLS=1)"
  mkdir -p "$dir"; chmod 0700 "$dir"
  ( cd "$dir" &&
    openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=Waspada local Kafka CA" \
        -keyout ca.key -out ca.pem &&
    openssl req -newkey rsa:2048 -nodes -subj "/CN=$WASPADA_HOST" -keyout broker.key -out broker.csr &&
    printf 'subjectAltName=IP:%s,DNS:localhost\n' "$WASPADA_HOST" >broker.ext &&
    openssl x509 -req -in broker.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 825 \
        -extfile broker.ext -out broker.crt &&
    openssl pkcs8 -topk8 -nocrypt -in broker.key -out broker.pk8 &&
    cat broker.pk8 broker.crt >broker.pem && rm -f broker.csr broker.ext broker.pk8 ca.srl
  ) >>"$LOGDIR/kafka.log" 2>&1 || die "kafka: generating the TLS material failed (see $LOGDIR/kafka.log)"
  chmod 0600 "$dir"/*.key "$dir/broker.pem"
}

render_kafka_config() {
  local protocol=SASL_PLAINTEXT
  [[ "$KAFKA_TLS" == 1 ]] && protocol=SASL_SSL
  sed -e "s|@KAFKA_DATA_DIR@|$KAFKA_DATA|g" -e "s|@KAFKA_HOST@|$WASPADA_HOST|g" \
      -e "s|@KAFKA_PORT@|$KAFKA_PORT|g" -e "s|@KAFKA_CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" \
      -e "s|@KAFKA_CLIENT_PROTOCOL@|$protocol|g" -e "s|@KAFKA_ADMIN_USER@|$KAFKA_ADMIN_USER|g" \
      -e "s|@KAFKA_ADMIN_PASSWORD@|$KAFKA_ADMIN_PASSWORD|g" \
      -e "s|@KAFKA_CONTROLLER_PASSWORD@|$KAFKA_CONTROLLER_PASSWORD|g" \
      "$ROOT/deploy/kafka/server.properties.tmpl" >"$KAFKA_HOME/server.properties"
  if [[ "$KAFKA_TLS" == 1 ]]; then
    kafka_tls_material
    cat >>"$KAFKA_HOME/server.properties" <<EOF

# KAFKA_TLS=1 (stack.sh): the CLIENT listener speaks TLS with a certificate of the local CA.
listener.name.client.ssl.keystore.type=PEM
listener.name.client.ssl.keystore.location=$KAFKA_TLS_DIR/broker.pem
listener.name.client.ssl.truststore.type=PEM
listener.name.client.ssl.truststore.location=$KAFKA_TLS_DIR/ca.pem
EOF
  fi
  chmod 0600 "$KAFKA_HOME/server.properties"   # holds the super user's and the controller's passwords
}

start_kafka() {
  [[ -f "$KAFKA_LIB/.pom.sha256" ]] || die "Kafka jars missing; run stack.sh setup"
  mkdir -p "$KAFKA_DATA"
  # The cluster id is generated once and kept: format/startup reject a changed id.
  if [[ ! -s "$KAFKA_HOME/cluster.id" ]]; then
    local id
    id="$(kafka_java kafka.tools.StorageTool random-uuid | grep -Eo '^[A-Za-z0-9_-]{22}$' | tail -n1)"
    [[ -n "$id" ]] || die "kafka: StorageTool random-uuid printed no id"
    echo "$id" >"$KAFKA_HOME/cluster.id"
  fi
  render_kafka_config
  # A data dir formatted before the listener required SCRAM (the PLAINTEXT stack before issue 13) holds
  # no super user's credential, so nothing could administer it. Local Kafka data is derived (PostgreSQL
  # is the record, docs/operations.md): it is formatted afresh and the services re-create what they need.
  if [[ -f "$KAFKA_DATA/meta.properties" && ! -f "$KAFKA_DATA/.waspada-scram" ]]; then
    say "kafka: ${KAFKA_DATA#"$ROOT"/} predates SASL/SCRAM (PLAINTEXT listener); re-formatting it (local topics and offsets are dropped; PostgreSQL keeps every report, assessment and alert; 'make clean' first for an entirely fresh stack)"
    rm -rf "$KAFKA_DATA"; mkdir -p "$KAFKA_DATA"
  fi
  if [[ ! -f "$KAFKA_DATA/meta.properties" ]]; then
    kafka_java kafka.tools.StorageTool format -t "$(cat "$KAFKA_HOME/cluster.id")" \
        -c "$KAFKA_HOME/server.properties" --ignore-formatted \
        --add-scram "SCRAM-SHA-512=[name=$KAFKA_ADMIN_USER,password=$KAFKA_ADMIN_PASSWORD]" \
        >>"$LOGDIR/kafka.log" 2>&1 || fail_not_ready kafka "storage format failed"
    echo "super user $KAFKA_ADMIN_USER bootstrapped by stack.sh at format time" >"$KAFKA_DATA/.waspada-scram"
  fi
  ensure_port_free kafka "$KAFKA_PORT"
  ensure_port_free kafka "$KAFKA_CONTROLLER_PORT"
  # shellcheck disable=SC2086  # heap/JVM opts are deliberately word-split
  spawn kafka "$(java_bin)" $KAFKA_HEAP_OPTS $KAFKA_JVM_PERFORMANCE_OPTS \
      -Dkafka.logs.dir="$LOGDIR/kafka" -Dlog4j.configuration="file:$KAFKA_LOG4J" \
      -cp "$KAFKA_LIB/*" kafka.Kafka "$KAFKA_HOME/server.properties"
  local pid t0=$SECONDS; pid="$(cat "$RUN/kafka.pid")"
  wait_ready kafka "$pid" "$READY_TIMEOUT"
  # The port opens before the controller has elected itself; the admin client retries. Both scripts
  # connect as the super user (env.sh) and are idempotent.
  local left=$((READY_TIMEOUT - (SECONDS - t0))); ((left > 5)) || left=5
  "$WASPADA_PYTHON" "$HERE/create_topics.py" --bootstrap "$WASPADA_KAFKA_BOOTSTRAP" --timeout "$left" \
    || fail_not_ready kafka "topic creation failed"
  "$WASPADA_PYTHON" "$HERE/kafka_auth.py" --bootstrap "$WASPADA_KAFKA_BOOTSTRAP" sync \
    || fail_not_ready kafka "creating the Kafka principals and ACLs failed"
}

pg_as() {  # run a PostgreSQL binary as the unprivileged user (exec, no extra process)
  local bin=$1; shift
  setpriv --reuid="$PG_OS_USER" --regid="$PG_OS_USER" --init-groups -- "$PG_BIN/$bin" "$@"
}

pg_fix_access() {
  # The postgres user must be able to reach its data dir: add o+x to ancestors lacking it
  # (e.g. a repo under /root). Traverse only, no read.
  local d="$LOCAL/postgres"
  setpriv --reuid="$PG_OS_USER" --regid="$PG_OS_USER" --init-groups -- test -x "$d" && return 0
  while [[ "$d" != / ]]; do
    if [[ -d "$d" ]] && ! setpriv --reuid="$PG_OS_USER" --regid="$PG_OS_USER" --init-groups -- test -x "$d"; then
      say "postgres: chmod o+x $d (so user $PG_OS_USER can reach its data dir)"
      chmod o+x "$d"
    fi
    d="$(dirname "$d")"
  done
}

write_pg_conf() {
  # Our settings live in their own file, rewritten on each start, included from postgresql.conf.
  cat >"$PG_DATA/waspada.conf" <<EOF
# Written by deploy/local/stack.sh on every start; edit there, not here.
listen_addresses = '$WASPADA_HOST'
port = $PG_PORT
unix_socket_directories = '$PG_SOCKET_DIR'
max_connections = 100
shared_buffers = 256MB
effective_cache_size = 1GB
work_mem = 4MB
maintenance_work_mem = 64MB
# Durability matters even locally: the fault tests kill processes.
fsync = on
synchronous_commit = on
full_page_writes = on
wal_level = replica
# Fewer checkpoints under sustained load: each one makes the next write of every page log the whole page
# (full_page_writes), most of the WAL volume at thousands of rows per second; 1 GB forced one every
# minute or so in make bench (pg_stat_bgwriter.checkpoints_req). lz4 shrinks those page images.
max_wal_size = 4GB
checkpoint_timeout = 15min
checkpoint_completion_target = 0.9
wal_compression = lz4
# Queue-like tables (intake's outbox, notify's deliveries) set their own vacuum thresholds; look for
# them every 10 s rather than every minute.
autovacuum_naptime = 10s
logging_collector = off
log_destination = 'stderr'
log_line_prefix = '%m [%p] %q%u@%d '
log_min_duration_statement = 1000
# Per-statement time and rows (SELECT * FROM pg_stat_statements): where the database's CPU goes.
shared_preload_libraries = 'pg_stat_statements'
timezone = 'UTC'
log_timezone = 'UTC'
EOF
  chown "$PG_OS_USER:" "$PG_DATA/waspada.conf"
}

pg_procs() {
  # PostgreSQL children call setsid() themselves, so process groups do not find them;
  # every server process does chdir() into the data dir, which does.
  local p
  for p in /proc/[0-9]*; do
    [[ "$(readlink "$p/cwd" 2>/dev/null)" == "$PG_DATA" ]] && echo "${p#/proc/}"
  done
  return 0
}

pg_reap_orphans() {  # pg_reap_orphans SECONDS : wait for server processes to exit, then KILL
  local deadline=$((SECONDS + $1)) left
  while left="$(pg_procs)"; [[ -n "$left" ]]; do
    if ((SECONDS >= deadline)); then
      say "postgres: killing leftover server processes: ${left//$'\n'/ }"
      # shellcheck disable=SC2086
      kill -KILL $left 2>/dev/null || true
      sleep 0.5; return 0
    fi
    sleep 0.1
  done
}

start_postgres() {
  mkdir -p "$LOCAL/postgres" "$PG_SOCKET_DIR"
  (( ${#PG_SOCKET_DIR} <= 90 )) || die "postgres: socket dir path too long for a unix socket: $PG_SOCKET_DIR (set PG_SOCKET_DIR)"
  chown "$PG_OS_USER:" "$PG_SOCKET_DIR"; chmod 0755 "$PG_SOCKET_DIR"
  pg_fix_access
  if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
    rm -rf "$PG_DATA"; mkdir -p "$PG_DATA"; chown "$PG_OS_USER:" "$PG_DATA"; chmod 0700 "$PG_DATA"
    say "postgres: initdb ${PG_DATA#"$ROOT"/}"
    pg_as initdb -D "$PG_DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --data-checksums \
        >>"$LOGDIR/postgres.log" 2>&1 || fail_not_ready postgres "initdb failed"
    echo "include_if_exists = 'waspada.conf'" >>"$PG_DATA/postgresql.conf"
  fi
  chown -R "$PG_OS_USER:" "$PG_DATA"   # cheap, and repairs a tree touched by root
  write_pg_conf
  # After a kill -9 of the postmaster its children linger a moment holding shared memory;
  # a new postmaster refuses to start until they are gone.
  pg_reap_orphans 10
  # Our postmaster is not running (else we would not be here), so a leftover lock file is
  # stale. PostgreSQL would see that itself unless its pid is a not-yet-reaped zombie.
  rm -f "$PG_DATA/postmaster.pid" "$PG_SOCKET_DIR/.s.PGSQL.$PG_PORT.lock"
  ensure_port_free postgres "$PG_PORT"
  spawn postgres setpriv --reuid="$PG_OS_USER" --regid="$PG_OS_USER" --init-groups -- \
      "$PG_BIN/postgres" -D "$PG_DATA"
  local pid; pid="$(cat "$RUN/postgres.pid")"
  wait_ready postgres "$pid" "$READY_TIMEOUT"
  # Role and database the services connect as (trust auth, local only).
  local psql=("$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$WASPADA_HOST" -p "$PG_PORT" -U postgres -d postgres -tA)
  if [[ "$("${psql[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname = 'waspada'")" != 1 ]]; then
    "${psql[@]}" -c "CREATE ROLE waspada LOGIN SUPERUSER"
  fi
  if [[ "$("${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = 'waspada'")" != 1 ]]; then
    "${psql[@]}" -c "CREATE DATABASE waspada OWNER waspada"
  fi
}

render_prom_config() {
  # prometheus.local.yml names the default ports of env.sh (YAML cannot read env vars); a stack started
  # on other ports (a second worktree, CI beside a running stack) scrapes its own services, so the ports
  # are substituted into a copy, with the rule files' path made absolute.
  local out="$LOCAL/prometheus/prometheus.yml"
  sed -e "s|127\.0\.0\.1:19090\"|$WASPADA_HOST:$PROMETHEUS_PORT\"|" \
      -e "s|127\.0\.0\.1:8080\"|$WASPADA_HOST:$INTAKE_PORT\"|" \
      -e "s|127\.0\.0\.1:8081\"|$WASPADA_HOST:$SCORING_PORT\"|" \
      -e "s|127\.0\.0\.1:8082\"|$WASPADA_HOST:$NOTIFY_PORT\"|" \
      -e "s|127\.0\.0\.1:8083\"|$WASPADA_HOST:$CONSOLE_PORT\"|" \
      -e "s|^  - rules/|  - $ROOT/deploy/prometheus/rules/|" "$PROM_CONFIG" >"$out"
  echo "$out"
}

start_prometheus() {
  mkdir -p "$PROM_DATA"
  local config; config="$(render_prom_config)"
  "$PROMTOOL_BIN" check config "$config" >>"$LOGDIR/prometheus.log" 2>&1 \
    || fail_not_ready prometheus "promtool check config failed for ${PROM_CONFIG#"$ROOT"/} (as ${config#"$ROOT"/})"
  ensure_port_free prometheus "$PROMETHEUS_PORT"
  spawn prometheus "$PROMETHEUS_BIN" --config.file="$config" \
      --storage.tsdb.path="$PROM_DATA" --storage.tsdb.retention.time=2d \
      --web.listen-address="$WASPADA_HOST:$PROMETHEUS_PORT" --web.enable-lifecycle
  local pid; pid="$(cat "$RUN/prometheus.pid")"
  wait_ready prometheus "$pid" "$READY_TIMEOUT"
}

start_service() {  # start_service NAME MODULE
  local name=$1 module=$2 port; port="$(port_of "$name")"
  local var="WASPADA_SERVICE_CMD_${name^^}" cmd
  [[ -x "$WASPADA_PYTHON" ]] || die "$name: no $WASPADA_PYTHON; run stack.sh setup"
  if [[ -n "${!var:-}" ]]; then cmd=(bash -c "exec ${!var}"); else cmd=("$WASPADA_PYTHON" -m "$module"); fi
  ensure_port_free "$name" "$port"
  # Services default to these ports themselves; passing them keeps env.sh the one source.
  # (The demo receiver is not a ServiceSettings service and reads WASPADA_RECEIVER_PORT.)
  local -x WASPADA_HTTP_HOST="$WASPADA_HOST" WASPADA_HTTP_PORT="$port"
  # Each Kafka client service is its own principal (waspada_shared.kafka_access); the others get no
  # Kafka credentials at all (env.sh's are the super user's, for the tooling).
  case "$name" in
    intake|scoring|notify)
      local -x WASPADA_KAFKA_SASL_USERNAME="waspada-$name" WASPADA_KAFKA_SASL_PASSWORD="demo-waspada-$name" ;;
    *) local -x WASPADA_KAFKA_SASL_USERNAME="" WASPADA_KAFKA_SASL_PASSWORD="" ;;
  esac
  [[ $name == receiver ]] && local -x WASPADA_RECEIVER_PORT="$port"
  spawn "$name" "${cmd[@]}"
  local pid; pid="$(cat "$RUN/$name.pid")"
  wait_ready "$name" "$pid" "$READY_TIMEOUT"
}

start_one() {
  case "$1" in
    kafka) start_kafka ;;
    postgres) start_postgres ;;
    prometheus) start_prometheus ;;
    intake) start_service intake waspada_intake ;;
    scoring) start_service scoring waspada_scoring ;;
    notify) start_service notify waspada_notify ;;
    receiver) start_service receiver waspada_notify.demo_receiver ;;
    console) start_service console waspada_console ;;
  esac
}

# ----------------------------------------------------------------------------------------
# stop
# ----------------------------------------------------------------------------------------

group_alive() {  # group_alive PGID : any non-zombie process left in the group?
  # Not `kill -0 -PGID`: zombies count there, and some inits (e.g. this VM's) reap slowly.
  local f st
  for f in /proc/[0-9]*/stat; do
    read -r st 2>/dev/null <"$f" || continue
    st="${st##*) }"                      # drop "pid (comm) "; comm may contain spaces
    # shellcheck disable=SC2086
    set -- $st                           # $1 state, $2 ppid, $3 pgrp
    [[ $1 != Z && $3 == "$PGID_WANTED" ]] && return 0
  done
  return 1
}

wait_gone() {  # wait_gone PGID SECONDS : true once no live process of the group is left
  local deadline=$((SECONDS + $2)) PGID_WANTED=$1
  while group_alive; do ((SECONDS < deadline)) || return 1; sleep 0.2; done
}

stop_one() {
  local name=$1 pid
  if ! pid="$(find_pid "$name")"; then
    [[ $name == postgres ]] && pg_reap_orphans 5   # children of a postmaster killed -9
    rm -f "$RUN/$name.pid"; return 0
  fi
  local t0; t0="$(now_ms)"
  if [[ $name == postgres ]]; then
    # fast = roll back sessions, checkpoint, exit cleanly.
    pg_as pg_ctl stop -D "$PG_DATA" -m fast -w -t "$STOP_TIMEOUT" >/dev/null 2>&1 || true
  else
    # Our processes lead their own process group: signal the group to catch children too.
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  fi
  if ! wait_gone "$pid" "$STOP_TIMEOUT"; then
    say "$name: still running after ${STOP_TIMEOUT}s, SIGKILL"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    wait_gone "$pid" 5 || say "$name: WARNING: process group $pid survived SIGKILL"
  fi
  [[ $name == postgres ]] && pg_reap_orphans 5
  rm -f "$RUN/$name.pid"
  say "$name: stopped (pid $pid, $(since "$t0"))"
}

# ----------------------------------------------------------------------------------------
# commands
# ----------------------------------------------------------------------------------------

names_or_all() {  # validates names; echoes them in canonical start order
  local n a
  if (($# == 0)); then echo "${ALL[*]}"; return; fi
  for n in "$@"; do port_of "$n" >/dev/null; done
  local out=()
  for a in "${ALL[@]}"; do for n in "$@"; do [[ $n == "$a" ]] && { out+=("$a"); break; }; done; done
  echo "${out[*]}"
}

lock() {  # serialise up/down/clean (two `make up` at once would race on ports)
  mkdir -p "$RUN" "$LOGDIR"
  exec 9>"$RUN/.stack.lock"
  flock -w 300 9 || die "another stack.sh is busy (lock $RUN/.stack.lock)"
}

cmd_up() {
  local names; names="$(names_or_all "$@")"
  lock
  cmd_setup
  local n pid t0
  for n in $names; do
    if pid="$(find_pid "$n")"; then
      # Running is not enough: `up` promises ready (it may still be starting elsewhere).
      probe "$n" >/dev/null 2>&1 || { say "$n: running (pid $pid) but not ready yet, waiting"; wait_ready "$n" "$pid" "$READY_TIMEOUT"; }
      say "$n: already running (pid $pid)"
      continue
    fi
    t0="$(now_ms)"
    say "$n: starting"
    start_one "$n"
    say "$n: ready (pid $(cat "$RUN/$n.pid"), $WASPADA_HOST:$(port_of "$n"), $(since "$t0"))"
  done
}

cmd_down() {
  local names n rev=()
  names="$(names_or_all "$@")"
  lock
  for n in $names; do rev=("$n" "${rev[@]}"); done
  for n in "${rev[@]}"; do stop_one "$n"; done
}

cmd_status() {
  local n pid
  for n in "${ALL[@]}"; do
    if pid="$(find_pid "$n")"; then
      printf '%-11s running  pid %-8s %s:%s\n' "$n" "$pid" "$WASPADA_HOST" "$(port_of "$n")"
    else
      printf '%-11s stopped  pid %-8s %s:%s\n' "$n" "-" "$WASPADA_HOST" "$(port_of "$n")"
    fi
  done
}

cmd_stopped() { local n; for n in "${ALL[@]}"; do find_pid "$n" >/dev/null || echo "$n"; done; }
cmd_is_up() { [[ -z "$(cmd_stopped)" ]]; }

cmd_clean() {
  cmd_down
  say "clean: removing data, logs and pid files under ${LOCAL#"$ROOT"/}"
  rm -rf "$LOCAL/postgres" "$LOCAL/prometheus" "$KAFKA_DATA" "$KAFKA_HOME/cluster.id" \
         "$KAFKA_HOME/server.properties" "$KAFKA_TLS_DIR" "$LOGDIR" "$RUN" "$LOCAL/receiver"
  if [[ "${1:-}" == --all ]]; then
    say "clean: also removing Kafka jars and .venv"
    rm -rf "$LOCAL" "$WASPADA_VENV"
  fi
}

main() {
  local sub="${1:-}"; shift || true
  cd "$ROOT"   # services and tools run from the repo root whatever the caller's cwd
  case "$sub" in
    setup) local t0; t0="$(now_ms)"; cmd_setup; say "setup: ok ($(since "$t0"))" ;;
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    status) cmd_status ;;
    clean) cmd_clean "$@" ;;
    is-up) cmd_is_up ;;
    stopped) cmd_stopped ;;
    *) sed -n '2,17s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
  esac
}

main "$@"
