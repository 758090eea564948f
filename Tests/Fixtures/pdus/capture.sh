#!/bin/bash
# Captures the golden PDUs of Tests/DicomTestSupport/GoldenPDUs.swift from DCMTK and pynetdicom.
# Usage: Tests/Fixtures/pdus/capture.sh   (needs dcmtk and pynetdicom; uses ports 11113–11116)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
cd "$out"
cp "$here"/proxy.py "$here"/pyn.py .

dcmtk() {   # dcmtk PREFIX STORESCP-ARGS -- ECHOSCU-ARGS
    local prefix=$1; shift
    local scp=() scu=()
    while [ "$1" != "--" ]; do scp+=("$1"); shift; done; shift
    scu=("$@")
    TCP_NODELAY=1 /usr/bin/storescp -od "$out" "${scp[@]}" 11113 > "$prefix.scp.log" 2>&1 &
    local sp=$!
    python3 proxy.py 11114 11113 "$prefix" &
    local pp=$!
    sleep 0.7
    TCP_NODELAY=1 /usr/bin/echoscu "${scu[@]}" -aet ECHOSCU -aec STORESCP 127.0.0.1 11114 || true
    wait $pp
    kill $sp
}
dcmtk dcmtk --
dcmtk dcmtk_refuse --refuse --
dcmtk dcmtk_abort -- --abort
for mode in full reject abort jwt; do timeout 30 python3 pyn.py "$mode"; done
python3 "$here/gen.py" "$here/../../DicomTestSupport/GoldenPDUs.swift"
echo "captured in $out"
