#!/usr/bin/env bash
# Refreshes the README's console screenshots (docs/screenshots/*.png).
# The console tests drive Debian's Chromium (/usr/bin/chromium) and write their screenshots to TestResults/screenshots/,
# which git ignores, so `dotnet test` leaves a clean clone clean; this script runs them and copies the pictures over.
# Usage: scripts/refresh-screenshots.sh
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf TestResults/screenshots
HERALD_REQUIRE_BROWSER=1 dotnet test tests/Herald.Tests --filter "FullyQualifiedName~Herald.Tests.Console.ConsoleTests|FullyQualifiedName~Herald.Tests.Console.HealthPageBrowserTests|FullyQualifiedName~Herald.Tests.Console.SourcesPageBrowserTests|FullyQualifiedName~Herald.Tests.Console.PortalBrowserTests"
mkdir -p docs/screenshots
for name in marketplace delivery-log budget health sources portal-embedded portal-standalone; do
  cp "TestResults/screenshots/$name.png" "docs/screenshots/$name.png"
done
echo "Copied $(ls TestResults/screenshots/*.png | wc -l) screenshot(s) to docs/screenshots/."
