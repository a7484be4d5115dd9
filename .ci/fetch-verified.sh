#!/usr/bin/env bash
# Usage: fetch-verified.sh URL SHA256 DEST
# Leaves DEST holding the file at URL whose sha256 is SHA256, downloading it
# unless DEST already matches. The download goes to a temporary file next to
# DEST and becomes DEST only once verified; on a mismatch the bad file is
# deleted and one line names the expected and the actual hash (exit 65, so a
# caller can tell a bad file from a failed download, which exits with curl's status).
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 URL SHA256 DEST" >&2; exit 2; }
url=$1 want=$2 dest=$3

sha() { sha256sum "$1" | cut -d' ' -f1; }

if [ -f "$dest" ]; then
  [ "$(sha "$dest")" = "$want" ] && exit 0
  rm -f "$dest" # a stale or damaged copy: fetch it again
fi
mkdir -p "$(dirname "$dest")"
tmp=$(mktemp "$dest.part.XXXXXX")
trap 'rm -f "$tmp"' EXIT
curl -fsSL --retry 3 -o "$tmp" "$url"
got=$(sha "$tmp")
if [ "$got" != "$want" ]; then
  echo "error: $url: sha256 mismatch: expected $want, got $got (file deleted)" >&2
  exit 65
fi
sync "$tmp"
chmod 0644 "$tmp"
mv "$tmp" "$dest"
