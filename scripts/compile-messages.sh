#!/usr/bin/env bash
# Compile the zh-Hans and en catalogues (.po -> .mo); needs GNU gettext's msgfmt.
set -euo pipefail
bin=$1
if ! command -v msgfmt >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get install -y -qq gettext >/dev/null || { apt-get update -qq && apt-get install -y -qq gettext >/dev/null; }
  else
    echo "msgfmt is missing: install GNU gettext (apt-get install -y gettext)" >&2
    exit 1
  fi
fi
cd src/gongdan
../../"$bin"/django-admin compilemessages --settings=gongdan.settings --pythonpath=.. -v 0
