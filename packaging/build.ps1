# Windows twin of build.sh: tests, then the PyInstaller build, then a smoke test.
# Usage: powershell -File packaging\build.ps1 [-SkipTests]
param([switch]$SkipTests)
$ErrorActionPreference = "Stop"
Set-Location (Split-Path $PSScriptRoot -Parent)

if (-not $SkipTests) { python -m pytest -q; if ($LASTEXITCODE) { exit $LASTEXITCODE } }
python -m PyInstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build\pyinstaller packaging\classwatch.spec
if ($LASTEXITCODE) { exit $LASTEXITCODE }

$dist = "dist\classwatch"
$env:QT_QPA_PLATFORM = "offscreen"
$tmp = New-Item -ItemType Directory -Path ([IO.Path]::Combine([IO.Path]::GetTempPath(), [guid]::NewGuid()))
$env:CLASSWATCH_DATA_DIR = "$tmp\data"; $env:CLASSWATCH_CONFIG_DIR = "$tmp\config"
& "$dist\classwatch.exe" --version; if ($LASTEXITCODE) { exit $LASTEXITCODE }
$demo = "$dist\_internal\assets\demo\zoom_gallery_4tiles.mp4"
& "$dist\classwatch.exe" analyze $demo --json | Out-File "$tmp\analyze.json"; if ($LASTEXITCODE) { exit $LASTEXITCODE }
& "$dist\classwatch.exe" analyze $demo --detector haar | Out-Null; if ($LASTEXITCODE) { exit $LASTEXITCODE }
& "$dist\classwatch-app.exe" --demo $demo --screenshot "$tmp\dashboard.png" --quit-after 4 | Out-Null
if (-not (Test-Path "$tmp\dashboard.png")) { Write-Error "app screenshot missing" }
Write-Output "smoke test passed"
