#!/usr/bin/env bash
# Smoke-test a frozen classwatch folder: version, analyze on the bundled demo
# video with --json and with the Haar detector, and the app's offscreen
# screenshot path. Prints the folder size (launch time: benchmarks/launch_time.py).
set -euo pipefail
dist="${1:-dist/classwatch}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export CLASSWATCH_DATA_DIR="$tmp/data" CLASSWATCH_CONFIG_DIR="$tmp/config" QT_QPA_PLATFORM=offscreen

"$dist/classwatch" --version
demo="$dist/_internal/assets/demo/zoom_gallery_4tiles.mp4"
[ -f "$demo" ] || demo="$(find "$dist" -name zoom_gallery_4tiles.mp4 | head -n 1)"
"$dist/classwatch" analyze "$demo" --json > "$tmp/analyze.json"
python3 - "$tmp/analyze.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
frames = doc["inputs"][0]["frames"]
faces = [len(f["faces"]) for f in frames]
assert frames and min(faces) == 4, faces
print(f"analyze: {len(frames)} frames, faces per frame {faces}")
PY
# The Haar detector's cascade is data the spec adds by hand (OpenCV's hook leaves it out).
"$dist/classwatch" analyze "$demo" --detector haar > /dev/null
echo "analyze --detector haar: ok"
"$dist/classwatch-app" --demo "$demo" --screenshot "$tmp/dashboard.png" --quit-after 4
[ -s "$tmp/dashboard.png" ] || { echo "app screenshot missing" >&2; exit 1; }
echo "app screenshot: $(stat -c %s "$tmp/dashboard.png" 2>/dev/null || stat -f %z "$tmp/dashboard.png") bytes"
echo "folder size: $(du -sh "$dist" | cut -f1)"
echo "smoke test passed"
