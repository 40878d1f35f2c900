#!/usr/bin/env bash
# corral-healthcheck: the image's HEALTHCHECK (installed as /usr/local/bin/corral-healthcheck).
# Healthy when the member answers ruok with imok on its client port: the process is up and its
# client listener works. Not readiness: a member in an election, or cut off from its quorum, is
# alive and still answers imok (restarting it would not help); readiness is the admin API's
# /commands/ready (docs/operability.md). Plain bash /dev/tcp: no client package just for this.
# The port: CORRAL_HEALTHCHECK_PORT, else CORRAL_CLIENT_PORT, else 2181 (a mounted zoo.cfg with
# another clientPort needs CORRAL_HEALTHCHECK_PORT).
set -u
port=${CORRAL_HEALTHCHECK_PORT:-${CORRAL_CLIENT_PORT:-2181}}
# The timeout covers connect and read: a member that accepts and never answers is unhealthy.
answer=$(timeout 4 bash -c '
  exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
  printf ruok >&3
  head -c 4 <&3' _ "$port" 2>/dev/null)
if [ "$answer" = imok ]; then
  exit 0
fi
echo "corral-healthcheck: no imok from 127.0.0.1:$port (answer: \"${answer}\")"
exit 1
