#!/usr/bin/env bash
# corral-entrypoint: the container's entrypoint (installed as /usr/local/bin/corral-entrypoint).
#
# With no arguments (the image's CMD is `corral-server`) it prepares one member and exec's
# corral-server, so the server is PID 1 and receives the runtime's SIGTERM itself:
#   1. the configuration: CORRAL_CONFIG if set, else a mounted /conf/zoo.cfg (or zoo.yaml,
#      zoo.yml), else one generated from CORRAL_* variables into <data dir>/zoo.cfg;
#   2. the member id, for a configuration with server lines: CORRAL_MYID, else the StatefulSet
#      pod ordinal at the end of the hostname plus CORRAL_MYID_OFFSET (default 1: pod corral-0
#      is member 1), else the myid file already in the data directory; written to
#      <dataDir>/myid, and never over a myid that says otherwise.
# Any other command is run as given (`podman run IMAGE corralctl -server HOST:2181 ls /`).
# Every variable, and why each default is what it is: docs/container.md.
set -euo pipefail

die() {
  echo "corral-entrypoint: error: $*" >&2
  exit 1
}
note() { echo "corral-entrypoint: $*" >&2; }

[ $# -eq 0 ] && set -- corral-server
if [ "$1" != corral-server ] || [ $# -gt 1 ]; then
  exec "$@"  # another command, or corral-server with a configuration chosen by the caller
fi

DATA_DIR=${CORRAL_DATA_DIR:-/data}
DATALOG_DIR=${CORRAL_DATALOG_DIR:-/datalog}
CONF_DIR=${CORRAL_CONF_DIR:-/conf}

is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }
is_positive() { [[ $1 =~ ^[1-9][0-9]*$ ]]; }

writable_dir() {  # dir what
  [ -d "$1" ] || die "$2 $1 does not exist (mount a volume there)"
  [ -w "$1" ] || die "$2 $1 is not writable by uid $(id -u): give the volume to that user" \
    "(Kubernetes: securityContext.fsGroup: $(id -g); podman/docker: chown $(id -u):$(id -g))"
}

# The member id this container is meant to be, from the environment or the hostname; empty when
# neither says. Sets ID and ID_FROM.
ID=""
ID_FROM=""
derive_id() {
  local host offset ordinal
  if [ -n "${CORRAL_MYID:-}" ]; then
    is_positive "$CORRAL_MYID" || die "CORRAL_MYID must be a positive integer, got \"$CORRAL_MYID\""
    ID=$CORRAL_MYID
    ID_FROM="CORRAL_MYID"
    return
  fi
  host=${CORRAL_HOSTNAME:-$(cat /proc/sys/kernel/hostname)}
  host=${host%%.*}
  if [[ $host =~ -([0-9]+)$ ]]; then
    ordinal=${BASH_REMATCH[1]}
    offset=${CORRAL_MYID_OFFSET:-1}
    is_uint "$offset" || die "CORRAL_MYID_OFFSET must be a non-negative integer, got \"$offset\""
    ID=$((10#$ordinal + offset))
    [ "$ID" -gt 0 ] || die "hostname $host gives member id $ID (ordinal $ordinal + CORRAL_MYID_OFFSET $offset); ids start at 1"
    ID_FROM="hostname $host: ordinal $((10#$ordinal)) + $offset"
  fi
}

# Writes (or checks) <dir>/myid for a configuration with server lines; with the server.N lines
# at hand (a generated configuration), first checks that the id is among them.
settle_myid() {  # data_dir [server_lines]
  local file=$1/myid lines=${2:-} existing="" ids
  derive_id
  if [ -f "$file" ]; then
    existing=$(head -n 1 "$file" | tr -d '[:space:]')
  fi
  if [ -z "$ID" ]; then
    if is_positive "$existing"; then
      ID=$existing
      ID_FROM="from $file; no CORRAL_MYID and no ordinal in the hostname"
    else
      die "cannot tell which member this is: set CORRAL_MYID, or run it with a hostname ending" \
        "in the StatefulSet ordinal (name-0 is member 1), or put the id in $file"
    fi
  fi
  if [ -n "$existing" ] && [ "$existing" != "$ID" ]; then
    die "$file says member \"$existing\" but this container is member $ID ($ID_FROM):" \
      "the volume belongs to another member. Attach the right volume, or delete $file if the" \
      "volume really is to become member $ID"
  fi
  if [ -n "$lines" ] && ! grep -q "^server\.$ID=" <<<"$lines"; then
    ids=$(sed -n 's/^server\.\([0-9]*\)=.*/\1/p' <<<"$lines" | tr '\n' ' ')
    die "member $ID ($ID_FROM) is not in CORRAL_SERVERS (ids: ${ids% })"
  fi
  if [ -z "$existing" ]; then
    printf '%s\n' "$ID" >"$file.tmp"
    mv "$file.tmp" "$file"
  fi
  note "member $ID ($ID_FROM)"
}

# CORRAL_SERVERS: "server.1=a:2888:3888;2181 server.2=..." (or "1=a:2888:3888"), separated by
# blanks, newlines or commas. Prints one server.N line per entry; checks the form, not the
# addresses (corral-server checks those and names the line).
server_lines() {
  local entry entries=()
  # read, not an unquoted expansion: an IPv6 address in brackets would be taken for a glob.
  IFS=$' \t\n,' read -r -d '' -a entries <<<"${CORRAL_SERVERS:-}" || true
  for entry in "${entries[@]}"; do
    if [[ $entry =~ ^(server\.)?([1-9][0-9]*)=([^=]+)$ ]]; then
      printf 'server.%s=%s\n' "${BASH_REMATCH[2]}" "${BASH_REMATCH[3]}"
    else
      die "CORRAL_SERVERS: \"$entry\" is not server.N=host:quorumPort:electionPort[;clientPort]"
    fi
  done
}

generate_config() {  # file
  local lines whitelist metrics
  lines=$(server_lines)
  metrics=${CORRAL_METRICS_ENABLED:-true}
  [[ $metrics =~ ^(true|false)$ ]] ||
    die "CORRAL_METRICS_ENABLED must be true or false, got \"$metrics\""
  [ -z "$lines" ] || settle_myid "$DATA_DIR" "$lines"
  # ruok is what the image's HEALTHCHECK asks; it must be answered whatever else is listed.
  whitelist=${CORRAL_4LW_WHITELIST:-ruok,srvr,mntr,isro}
  [[ ,$whitelist, =~ ,[[:space:]]*(ruok|\*)[[:space:]]*, ]] || whitelist="$whitelist,ruok"
  {
    echo "# Generated by corral-entrypoint from CORRAL_* variables at every start: edits are lost."
    echo "# To run your own configuration, mount it at $CONF_DIR/zoo.cfg (docs/container.md)."
    echo "tickTime=${CORRAL_TICK_TIME:-2000}"
    echo "initLimit=${CORRAL_INIT_LIMIT:-10}"
    echo "syncLimit=${CORRAL_SYNC_LIMIT:-5}"
    echo "dataDir=$DATA_DIR"
    echo "dataLogDir=$DATALOG_DIR"
    echo "clientPort=${CORRAL_CLIENT_PORT:-2181}"
    echo "maxClientCnxns=${CORRAL_MAX_CLIENT_CNXNS:-60}"
    echo "4lw.commands.whitelist=$whitelist"
    echo "admin.enableServer=${CORRAL_ADMIN_ENABLED:-true}"
    echo "admin.serverPort=${CORRAL_ADMIN_PORT:-8080}"
    if [ "$metrics" = true ]; then
      echo "metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider"
      echo "metricsProvider.httpPort=${CORRAL_METRICS_PORT:-7000}"
    fi
    echo "autopurge.snapRetainCount=${CORRAL_AUTOPURGE_SNAP_RETAIN_COUNT:-3}"
    echo "autopurge.purgeInterval=${CORRAL_AUTOPURGE_PURGE_INTERVAL:-1}"
    echo "quorumListenOnAllIPs=${CORRAL_QUORUM_LISTEN_ON_ALL_IPS:-true}"
    [ -z "${CORRAL_ENSEMBLE_ID:-}" ] || echo "ensembleId=$CORRAL_ENSEMBLE_ID"
    [ -z "${CORRAL_LOG_LEVEL:-}" ] || echo "logLevel=$CORRAL_LOG_LEVEL"
    if [ -n "${CORRAL_CFG_EXTRA:-}" ]; then
      echo "# CORRAL_CFG_EXTRA (later keys override earlier ones)"
      printf '%s\n' "$CORRAL_CFG_EXTRA"
    fi
    [ -z "$lines" ] || printf '%s\n' "$lines"
  } >"$1.tmp"
  mv "$1.tmp" "$1"
}

# A mounted configuration is used as it is; only its myid is looked after. Its dataDir is read
# with the same loose reading of `key=value`, `key: value` and `key value` for properties and
# YAML; a relative one resolves against the file's directory, as corral-server resolves it.
mounted_data_dir() {  # config
  local dir
  dir=$(sed -n 's/^[[:space:]]*dataDir[[:space:]]*[=:[:space:]][[:space:]]*//p' "$1" | tail -n 1)
  dir=${dir%%[[:space:]]#*}
  dir=${dir%\"}
  dir=${dir#\"}
  dir=${dir%"${dir##*[![:space:]]}"}
  [ -n "$dir" ] || die "$1 has no dataDir"
  [[ $dir == /* ]] || dir=$(dirname "$1")/$dir
  printf '%s\n' "$dir"
}
# Server lines in the file itself, or in the dynamic configuration file it names.
has_server_lines() {
  grep -Eq '^[[:space:]]*(server\.[0-9]+[[:space:]]*[=:[:space:]]|server:|dynamicConfigFile[[:space:]]*[=:[:space:]])' "$1"
}

CONFIG=${CORRAL_CONFIG:-}
if [ -z "$CONFIG" ]; then
  for candidate in "$CONF_DIR/zoo.cfg" "$CONF_DIR/zoo.yaml" "$CONF_DIR/zoo.yml"; do
    if [ -f "$candidate" ]; then
      CONFIG=$candidate
      break
    fi
  done
fi

if [ -n "$CONFIG" ]; then
  [ -r "$CONFIG" ] || die "configuration $CONFIG is missing or unreadable"
  note "using the configuration $CONFIG as it is (CORRAL_* variables other than the id are not read)"
  data_dir=$(mounted_data_dir "$CONFIG")
  writable_dir "$data_dir" "dataDir"
  if has_server_lines "$CONFIG"; then
    settle_myid "$data_dir"
  fi
else
  writable_dir "$DATA_DIR" "the data directory"
  writable_dir "$DATALOG_DIR" "the transaction log directory"
  CONFIG=$DATA_DIR/zoo.cfg
  generate_config "$CONFIG"
  note "configuration generated into $CONFIG"
fi

exec corral-server "$CONFIG"
