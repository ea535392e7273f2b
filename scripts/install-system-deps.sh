#!/usr/bin/env bash
# Installs the Debian packages peapod uses, only those missing; fast when all are present.
set -euo pipefail
PKGS=(runc crun conmon containernetworking-plugins nftables iptables iproute2 busybox-static skopeo umoci jq docker-registry apache2-utils etcd-server etcd-client util-linux catatonit zstd openssl)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "peapod: installing Debian packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # apt-get update once per machine (lists older than a day are refreshed)
  if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 -print -quit 2>/dev/null)" ]; then
    apt-get update -qq >&2
  fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
