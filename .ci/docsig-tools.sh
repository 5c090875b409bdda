#!/usr/bin/env bash
# The independent verifiers of crates/docsig's tests, which fail (not skip) when CI=true and a
# tool is missing: OpenSSL (`openssl cms -verify`), Poppler's `pdfsig`, NSS's `certutil` (a
# trust database for pdfsig), and pyHanko (PyPI) for the system python3.
set -euo pipefail
apt-get update -qq
apt-get install -y -qq --no-install-recommends openssl poppler-utils libnss3-tools python3 python3-pip >/dev/null
python3 -m pip install -q --break-system-packages pyhanko
