# Sourced by bin/course and bin/test: makes .venv with everything the project needs, once.
# The CPU build of torch is installed first, so the range in pyproject.toml is satisfied
# without pulling a multi-gigabyte CUDA build; users with GPUs install their own torch first.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
stamp="$venv/.installed-$(sha256sum "$root/pyproject.toml" | cut -c1-16)"
if [ ! -f "$stamp" ]; then
    echo "Setting up $venv (first run only)..." >&2
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install -q --upgrade pip >&2
    "$venv/bin/python" -c "import torch" 2>/dev/null || "$venv/bin/python" -m pip install -q "torch==2.13.0" >&2
    "$venv/bin/python" -m pip install -q -e "$root[dev]" >&2
    rm -f "$venv"/.installed-*
    touch "$stamp"
fi
