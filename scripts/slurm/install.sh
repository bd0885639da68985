#!/usr/bin/env bash
# Install the Debian packages a one-node Slurm cluster needs (slurmd, slurmctld, slurm-client, munge).
# Idempotent and quiet: does nothing when they are already installed. Needs root (CI runs as root).
# Waits up to 10 minutes for the dpkg lock when another apt-get is running.
set -euo pipefail

PKGS=(slurmd slurmctld slurm-client munge)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: must run as root to install ${missing[*]} (run: apt-get install -y ${PKGS[*]})" >&2
  exit 2
fi

export DEBIAN_FRONTEND=noninteractive
APT=(apt-get -qq -o DPkg::Lock::Timeout=600)

# Keep the packages' postinst scripts from starting the system's own slurm/munge services:
# cluster.sh starts its own daemons with its own config.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  created_policy=1
fi
cleanup() { if [ "$created_policy" -eq 1 ]; then rm -f "$policy"; fi; }
trap cleanup EXIT

# Try from the current package lists first; refresh them only if that fails.
if ! "${APT[@]}" install -y --no-install-recommends "${PKGS[@]}" >/dev/null 2>&1; then
  "${APT[@]}" update >/dev/null
  "${APT[@]}" install -y --no-install-recommends "${PKGS[@]}" >/dev/null
fi
echo "install.sh: installed ${missing[*]}"
