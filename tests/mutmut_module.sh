#!/usr/bin/env bash
# Mutation testing of one module (a dev tool, never run in CI):
#
#   bash tests/mutmut_module.sh _dropout tests/test_dropout.py tests/test_network.py
#
# Runs mutmut 3 in a scratch copy of the working tree, mutating only
# skdense/<module>.py and running only the test files named, then prints the
# score and the survivors (`mutmut show NAME` in the copy shows each diff).
set -euo pipefail
module=$1
shift
tests=("$@")
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "/tmp/mutmut_${module}.XXXX")
git -C "$top" ls-files -co --exclude-standard | grep -v '^mutants/' |
  tar -C "$top" -cf - -T - | tar -C "$work" -xf -
selection=$(printf '"%s", ' "${tests[@]}")
cat >>"$work/pyproject.toml" <<TOML

[tool.mutmut]
source_paths = ["skdense/"]
only_mutate = ["skdense/${module}.py"]
pytest_add_cli_args = ["-p", "no:cacheprovider", "-p", "no:xdist", "-q", "-x"]
pytest_add_cli_args_test_selection = [${selection%, }]
TOML
cd "$work"
mutmut run --max-children 2 >"$work/run.log" 2>&1 || true
mutmut results --all true >"$work/results.txt" 2>&1 || mutmut results >"$work/results.txt" 2>&1
killed=$(grep -c ': killed' "$work/results.txt" || true)
survived=$(grep -c ': survived' "$work/results.txt" || true)
other=$(grep -vcE ': (killed|survived)' "$work/results.txt" || true)
echo "$module: killed $killed, survived $survived, other $other (work dir $work)"
grep ': survived' "$work/results.txt" || true
