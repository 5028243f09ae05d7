# Sourced by scripts/app.sh and scripts/test.sh: kinviz's own virtual environment, .venv in the checkout.
# Stock Debian has `python3` but no `python`, and its pip refuses to install into the system
# (externally-managed-environment), so the scripts make an environment with `python3 -m venv` and run
# everything with it. Requirements are installed only when they changed since the last install (a
# stamp keyed on the files' SHA-256 and the interpreter), so a rerun starts at once.

VENV=.venv

# use_venv FILE [INCLUDED...]: install FILE into .venv unless its stamp is current, then put .venv first
# on PATH. INCLUDED are the files FILE pulls in with -r, hashed with it and stamped as installed too.
use_venv() {
  if ! "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
    echo "Creating the virtual environment $VENV (python3 -m venv)…" >&2
    if ! python3 -m venv "$VENV"; then
      echo "error: 'python3 -m venv' failed; on Debian or Ubuntu install it with: sudo apt-get install python3-venv" >&2
      exit 1
    fi
  fi
  local file want
  want=$(_requirements_hash "$@")
  if [ "$(cat "$VENV/.installed-$1" 2>/dev/null)" != "$want" ]; then
    echo "Installing $1 into $VENV…" >&2
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$1"
    # kinviz itself, editable: tests and the app import the installed package (pyproject.toml; no deps, the lock has them)
    if [ -f pyproject.toml ]; then
      local isolation=()  # build offline with the venv's own setuptools when it can build editables (>= 64)
      "$VENV/bin/python" -c "import setuptools, sys; sys.exit(int(setuptools.__version__.split('.')[0]) < 64)" \
        2>/dev/null && isolation=(--no-build-isolation)
      "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps "${isolation[@]}" -e .
    fi
    for file in "$@"; do
      _requirements_hash "$file" >"$VENV/.installed-$file"
    done
    echo "$want" >"$VENV/.installed-$1"
  fi
  export VIRTUAL_ENV="$PWD/$VENV" PATH="$PWD/$VENV/bin:$PATH"
}

_requirements_hash() {  # the files' contents and the environment's interpreter
  { "$VENV/bin/python" --version; cat "$@"; cat pyproject.toml 2>/dev/null; } 2>&1 | sha256sum | cut -d' ' -f1
}
