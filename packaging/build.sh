#!/usr/bin/env bash
# Build the self-contained classwatch application folder for this OS:
#   dist/classwatch/classwatch       the CLI
#   dist/classwatch/classwatch-app   the tray app (no console window)
# then smoke-test the frozen build. Usage: packaging/build.sh [--skip-tests]
# Needs the project installed with its test extra and PyInstaller (pip install ".[test,package]").
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" != "--skip-tests" ]; then
  python -m pytest -q  # never package a build whose tests fail
fi

python -m PyInstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build/pyinstaller packaging/classwatch.spec

bash packaging/smoke_test.sh dist/classwatch

if [ "$(uname -s)" = Linux ]; then
  version="$(python -c 'import classwatch; print(classwatch.__version__)')"
  tar -C dist -czf "dist/classwatch-${version}-linux-$(uname -m).tar.gz" classwatch
  echo "wrote dist/classwatch-${version}-linux-$(uname -m).tar.gz ($(du -h "dist/classwatch-${version}-linux-$(uname -m).tar.gz" | cut -f1))"
fi
