#!/usr/bin/env bash
# Refuse, with a message a newcomer can act on, an interpreter older than 3.11.
set -euo pipefail
py=${1:-python3}
if ! command -v "$py" >/dev/null 2>&1; then
  echo "gongdan needs Python 3.11 or newer, but '$py' was not found." >&2
  echo "Install it (Debian 12: apt-get install -y python3 python3-venv) or run: make PYTHON=/path/to/python3.11" >&2
  exit 1
fi
if ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "gongdan needs Python 3.11 or newer; '$py' is $("$py" -V 2>&1)." >&2
  echo "Run: make PYTHON=/path/to/python3.11" >&2
  exit 1
fi
"$py" -c 'import venv, ensurepip' 2>/dev/null || {
  echo "Python's venv module is missing: apt-get install -y python3-venv" >&2
  exit 1
}
