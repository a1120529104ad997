#!/usr/bin/env bash
# Makes sure the machine has what the whole test suite needs outside Python:
#   chromium (browser tests), PostgreSQL's server binaries (the throwaway cluster), gettext
#   (compilemessages), poppler-utils (sticker PDFs rasterised and decoded back), DejaVu fonts
#   (PDFs and screenshots), redis-server (the shared rate-limit counter's production path), nginx
#   (the deploy tests check the shipped site configuration).
# As root on Debian it installs what is missing; otherwise it stops at once with the one
# command to run.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
command -v msgfmt >/dev/null 2>&1 || need+=(gettext)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || need+=(postgresql)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
{ command -v fc-list >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi dejavu; } || need+=(fonts-dejavu-core fontconfig)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
# The deploy tests check the nginx site with `nginx -t`.
command -v nginx >/dev/null 2>&1 || need+=(nginx-light)

[ "${#need[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "system-deps: installing ${need[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    # Debian starts a redis-server service on install; the tests start their own on free ports.
    exit 0
fi

echo "system-deps: missing ${need[*]}. Install them first:" >&2
echo "    sudo apt-get install -y --no-install-recommends ${need[*]}" >&2
exit 1
