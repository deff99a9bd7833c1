#!/usr/bin/env bash
# Create or update one virtual environment from its lock files; a no-op when the
# lock files are unchanged since the last successful install (hash in .installed).
set -euo pipefail
name="$1"                       # bot | app
venv=".venv/$name"
lock="requirements/$name.lock.txt"
nodeps="requirements/$name-nodeps.txt"
stamp="$venv/.installed"
want=$(cat "$lock" "$nodeps" devtools/install_runtime.sh | sha256sum | cut -d' ' -f1)
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi
echo ">> installing the $name runtime into $venv"
[[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip==24.3.1 setuptools==75.6.0 wheel
# Step 1: every dependency, resolved normally so other packages' Requires-Python holds.
"$venv/bin/python" -m pip install --quiet -r "$lock"
# Step 2: rasa / rasa-sdk declare Python < 3.11 but run on 3.11 (../shared/notes).
"$venv/bin/python" -m pip install --quiet --no-deps --ignore-requires-python -r "$nodeps"
echo "$want" > "$stamp"
