#!/usr/bin/env bash
# Installs what logship needs to build and test on Debian 12 / Ubuntu 22.04+,
# from the distribution's packages. Idempotent and non-interactive: packages
# already installed are not touched, and apt is not called when nothing is
# missing. Java 17 and Maven are needed only by the integration tests'
# OpenSearch node; an existing JDK 17+ and Maven are used as they are.
set -euo pipefail

pkgs=(
    build-essential autoconf automake pkg-config make gcc
    zlib1g-dev libdeflate-dev libisal-dev libcurl4-openssl-dev libpcre2-dev libjansson-dev libyaml-dev
    check clang-format-14 python3 curl gzip ca-certificates procps tzdata openssl
)
command -v java >/dev/null 2>&1 || pkgs+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || pkgs+=(maven)

missing=()
for p in "${pkgs[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
        missing+=("$p")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "deps: all packages present"
    exit 0
fi

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
