"""Mutation testing (`make mutation`): do the tests notice the bugs that matter?

mutmut (pinned in requirements-dev.txt) puts one small bug at a time into the modules where a bug
changes the published numbers (a `+` made `-`, a `<` made `<=`, a constant changed, a call's
argument dropped…) and runs the fast tests that reach the function it changed. A mutant the tests
fail on is killed; one they pass is a survivor: a bug that would ship unnoticed. The modules and
the tests are `[tool.mutmut]` in pyproject.toml. It runs outside CI (minutes, not seconds).

    python mutation.py           # run mutmut, then report
    python mutation.py --report  # report the last run again

It prints the score per module and the survivors, and writes build/mutation.json:
{"killed": N, "total": N, "score": F, "modules": {module: {"killed": N, "total": N, "score": F}},
 "survivors": [name, …], "no_tests": [name, …], "equivalent": {name: why}}. `mutmut show NAME`
shows a survivor's change. A mutant that changes nothing a caller can observe (equivalent) is
listed in EQUIVALENT with the reason, and counted out of the total.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent
OUT = ROOT / "build" / "mutation.json"

KILLED = {1, 3, 36, 24, -24, 152, 255, 37}  # failed, errored, timed out, or caught by a type check
SURVIVED = {0}
NO_TESTS = {5, 33}
# Mutants that change nothing observable, by name, with why (checked by reading each one's diff).
EQUIVALENT: dict[str, str] = {
    "parsers.audit.x_fingerprint__mutmut_16": "permutations=None: MinHash makes them from its default seed, 1, "
                                              "the seed _permutations() uses (it only saves making them per report)",
    "parsers.audit.x_fingerprint__mutmut_19": "permutations left out: the same as _16",
    "parsers.audit.x_fingerprint__mutmut_32": "to_bytes without a byte order: big-endian is the default since Python 3.11",
    "parsers.audit.x_fingerprint__mutmut_54": "struct '>h' for '>H': the same bytes for band numbers below 32,768 (16 here)",
    "parsers.audit.x_fingerprint__mutmut_65": "from_bytes without a byte order: big-endian is the default since Python 3.11",
    # Every group row of the 2019 and 2021 layouts (不予公开, 无法提供, 不予处理, 其他处理) has reason
    # rows, which are leaves of the sum themselves: with them printed the group is skipped, without
    # them the sum has a blank part and is not checked, whatever the group branch does
    **{f"parsers.checks.x__outcome_leaves__mutmut_{n}": "the group branch: no layout has a group without reasons"
       for n in (28, 30, 33, 38, 39, 40, 42, 43, 46)},
    # ASGI servers and Datasette's test client always give an HTTP scope its query_string
    "plugins.ogi_cache.x_shared_request__mutmut_23": "another default for query_string: always there",
    "plugins.ogi_cache.x_page_key__mutmut_5": "another default for query_string: always there",
    "plugins.ogi_guard.x__is_custom_sql__mutmut_5": "another default for query_string: always there",
    "plugins.ogi_guard.x__is_custom_sql__mutmut_10": "another default for query_string: always there",
    "plugins.ogi_guard.x__too_much_asked__mutmut_3": "another default for query_string: always there",
    "plugins.ogi_guard.x__too_much_asked__mutmut_5": "scope.get('query_string') without its default: always there",
    "plugins.ogi_guard.x__is_custom_sql__mutmut_12": "'LATIN-1' is the same codec as 'latin-1'",
    "plugins.ogi_guard.x__unknown_sort_column__mutmut_12": "'LATIN-1' is the same codec as 'latin-1'",
    "plugins.ogi_guard.x__unknown_sort_column__mutmut_32": "strip('XX/XX') strips / (and X, which starts no "
                                                           "database's or table's name here)",
    "plugins.ogi_guard.x__last_record_end__mutmut_6": "at end 0 no quote precedes it: the loop stops either way",
    "plugins.ogi_links.x__agency_name__mutmut_6": "_agency does not read the table it is given",
    "plugins.ogi_links.x__marked__mutmut_5": "sorted by the words themselves, reversed, a word comes before "
                                            "its own prefixes too, which is all the order decides",
    "plugins.ogi_links.x__marked__mutmut_8": "the same as _5",
    "plugins.ogi_cache.x_shared_request__mutmut_25": "scope.get('query_string') without its default: always there",
    "plugins.ogi_cache.x_shared_request__mutmut_28": "another default for query_string: always there",
    "plugins.ogi_guard.x__is_custom_sql__mutmut_7": "scope.get('query_string') without its default: always there",
    "plugins.ogi_guard.x__unknown_sort_column__mutmut_7": "scope.get('query_string') without its default: always there",
    "plugins.ogi_guard.x__unknown_sort_column__mutmut_10": "another default for query_string: always there",
    "plugins.ogi_cache.x_site_digest__mutmut_17": "another separator between a file's name and its bytes: still one",
    # _may_hold_formula's first line spares parsing a CSV where no formula can be; weakened, the CSV
    # is parsed and written again, which gives Datasette's CSV (csv.writer's own) back as it was
    "plugins.ogi_guard.x__may_hold_formula__mutmut_4": "the fast path skipped: the same CSV, slower",
    "plugins.ogi_guard.x__may_hold_formula__mutmut_5": "the fast path skipped: the same CSV, slower",
    "plugins.ogi_guard.x__may_hold_formula__mutmut_7": "the fast path skipped: the same CSV, slower",
    "plugins.ogi_guard.x__may_hold_formula__mutmut_10": "the fast path skipped: the same CSV, slower",
    "plugins.ogi_guard.xǁCsvNeutraliserǁ__init____mutmut_8": "'UTF-8' is the same codec as 'utf-8'",
    "plugins.ogi_guard.xǁCsvNeutraliserǁfeed__mutmut_29": "'UTF-8' is the same codec as 'utf-8'",
    "plugins.ogi_guard.xǁCsvNeutraliserǁfeed__mutmut_48": "'UTF-8' is the same codec as 'utf-8'",
    "plugins.ogi_guard.xǁCsvNeutraliserǁfeed__mutmut_35": "csv.writer's default line terminator is \\r\\n",
}


def module_of(mutant: str) -> str:
    """parsers.checks.x_balance__mutmut_3 -> parsers.checks (methods: parsers.cells.xǁClassǁm__mutmut_1)."""
    return re.split(r"\.x[_ǁ]", mutant, maxsplit=1)[0]


def results(mutants: Path = ROOT / "mutants") -> dict[str, int | None]:
    """Each mutant's exit code, from the .meta files mutmut writes beside the mutated sources."""
    codes = {}
    for meta in mutants.rglob("*.meta"):
        codes.update(json.loads(meta.read_text(encoding="utf-8")).get("exit_code_by_key", {}))
    return codes


def summary(codes: dict[str, int | None], equivalent: dict[str, str] = EQUIVALENT) -> dict:
    modules: dict[str, dict[str, int]] = defaultdict(lambda: {"killed": 0, "total": 0})
    survivors, no_tests = [], []
    for name, code in sorted(codes.items()):
        if name in equivalent or code is None or code == 34:  # equivalent, not run, or skipped
            continue
        counts = modules[module_of(name)]
        counts["total"] += 1
        if code in KILLED:
            counts["killed"] += 1
        elif code in NO_TESTS:
            no_tests.append(name)
        else:
            survivors.append(name)
    for counts in modules.values():
        counts["score"] = round(counts["killed"] / counts["total"], 3) if counts["total"] else None
    killed, total = sum(m["killed"] for m in modules.values()), sum(m["total"] for m in modules.values())
    return {"killed": killed, "total": total, "score": round(killed / total, 3) if total else None,
            "modules": dict(sorted(modules.items())), "survivors": survivors, "no_tests": no_tests,
            "equivalent": {name: why for name, why in equivalent.items() if name in codes}}


def report(found: dict) -> str:
    lines = [f"{'module':40} {'killed':>7} {'total':>6} {'score':>6}"]
    for module, counts in found["modules"].items():
        lines.append(f"{module:40} {counts['killed']:>7} {counts['total']:>6} {counts['score']:>6.0%}")
    lines.append(f"{'all':40} {found['killed']:>7} {found['total']:>6} {(found['score'] or 0):>6.0%}")
    lines.append(f"\n{len(found['survivors'])} survivors, {len(found['no_tests'])} reached by no test "
                 f"(`mutmut show NAME` shows one):")
    lines += [f"  {name}" for name in found["survivors"] + found["no_tests"]]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if "--report" not in argv:
        OUT.parent.mkdir(exist_ok=True)
        with open(OUT.parent / "mutation.log", "w") as log:  # mutmut's progress, kept out of the terminal
            run = subprocess.run([sys.executable, "-m", "mutmut", "run"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        if run.returncode != 0:
            print(f"mutmut failed ({run.returncode}): see {OUT.parent / 'mutation.log'}", file=sys.stderr)
            return run.returncode
    found = summary(results())
    OUT.write_text(json.dumps(found, ensure_ascii=False, indent=1), encoding="utf-8")
    print(report(found))
    print(f"\nwrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
