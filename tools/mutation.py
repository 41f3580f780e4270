"""``make mutation``: mutation testing with mutmut, one package at a time, and a per-package score table.

mutmut (configured under ``[tool.mutmut]`` in pyproject.toml) copies ``emulator/`` into ``mutants/``, turns
every function of the packages named below into variants with one small change each (a mutant), finds which
tests call which function, and runs only those tests against each mutant. A mutant is *killed* when a test
fails. This script narrows each run to one package and to that package's test folders (coverage inside
those folders then picks the tests per mutant), which keeps a run practical on 2 cores, and records the
package's result under ``mutants/scores/`` so the table can show every package measured so far.

    python tools/mutation.py run [PKG ...] [--only GLOB ...] [--tests PATH ...] [--jobs N] [--resume]
    python tools/mutation.py report [PKG ...]

Score = detected / (mutants tested - equivalent), where detected = killed + timed out, and the mutants
listed in mutation-equivalent.md (beside pyproject.toml) count as equivalent. Mutants in code that no
selected test reaches ("no tests") count as not detected.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import os
import random
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCORES = ROOT / "mutants" / "scores"
EQUIVALENT_FILE = ROOT / "mutation-equivalent.md"


@dataclass(frozen=True)
class Package:
    mutate: tuple[str, ...]  # only_mutate globs (paths relative to the repository)
    tests: tuple[str, ...]  # the test folders or files whose tests may kill its mutants
    # Tests left out: a flaky one fails mutmut's clean run (and so the whole package run).
    deselect: tuple[str, ...] = ()


# The packages of the issue: providers/ (one row per provider plus the shared base), core/, control/ and
# the media modules holding geometry, audio and encoder settings.
PACKAGES: dict[str, Package] = {
    "core": Package(("emulator/core/*",), ("tests/core", "tests/control", "tests/providers")),
    "control": Package(("emulator/control/*",), ("tests/control",)),
    "media": Package(
        (
            "emulator/media/placement.py",
            "emulator/media/compositor.py",
            "emulator/media/audio.py",
            "emulator/media/encoder.py",
        ),
        ("tests/media",),
        # Races its own worker thread (fails about 1 run in 3 alone, more under load): the first frame can
        # be decoded before scale_ahead() is set.
        (
            "tests/media/test_sources.py::test_a_file_decodes_ahead_on_its_thread_exactly_in_fast_mode_never_blocking_realtime",
        ),
    ),
    "providers": Package(
        ("emulator/providers/__init__.py", "emulator/providers/base.py"), ("tests/providers",)
    ),
    "tencent": Package(("emulator/providers/tencent/*",), ("tests/providers/tencent",)),
    "zego": Package(("emulator/providers/zego/*",), ("tests/providers/zego",)),
    "volcengine": Package(("emulator/providers/volcengine/*",), ("tests/providers/volcengine",)),
}

DETECTED = {"killed", "timeout", "caught by type check"}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="mutate and test packages, one after the other")
    run.add_argument("packages", nargs="*", metavar="PKG", help=", ".join(PACKAGES) + " (default: all)")
    run.add_argument(
        "--only", nargs="+", help="mutate only the files matching these globs (inside the package)"
    )
    run.add_argument("--tests", nargs="+", help="test paths instead of the package's own")
    run.add_argument("--jobs", type=int, default=2, help="mutants tested at once (default 2)")
    run.add_argument("--resume", action="store_true", help="keep results of an interrupted run")
    run.add_argument(
        "--survivors",
        action="store_true",
        help="test again only the mutants the package's last recorded run did not detect (after new tests)",
    )
    run.add_argument(
        "--recheck",
        type=int,
        metavar="N",
        help="test again N mutants chosen at random among the detected ones: a kill that does not repeat "
        "(a test failing for another reason, e.g. timing on a loaded machine) is counted as a survivor",
    )
    run.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # internal: in this process
    report = commands.add_parser("report", help="print the score table and the survivors")
    report.add_argument("packages", nargs="*", metavar="PKG")
    args = parser.parse_args()
    unknown = [name for name in args.packages if name not in PACKAGES]
    if unknown:
        parser.error(f"unknown package {', '.join(unknown)} (known: {', '.join(PACKAGES)})")
    os.chdir(ROOT)  # mutmut reads ./pyproject.toml and works in ./mutants

    if args.command == "report":
        print_report(args.packages or list(PACKAGES))
        return 0
    packages = args.packages or list(PACKAGES)
    if args.one:
        return run_package(
            packages[0],
            args.only,
            args.tests,
            args.jobs,
            resume=args.resume,
            survivors=args.survivors,
            recheck=args.recheck,
        )
    status = 0
    for name in packages:  # one process per package: mutmut keeps global state
        command = [sys.executable, __file__, "run", name, "--one", "--jobs", str(args.jobs)]
        command += ["--only", *args.only] if args.only else []
        command += ["--tests", *args.tests] if args.tests else []
        command += ["--resume"] if args.resume else []
        command += ["--survivors"] if args.survivors else []
        command += ["--recheck", str(args.recheck)] if args.recheck else []
        status = subprocess.call(command, cwd=ROOT) or status
    print_report(packages)
    return status


def run_package(
    name: str,
    only: list[str] | None,
    tests: list[str] | None,
    jobs: int,
    *,
    resume: bool,
    survivors: bool = False,
    recheck: int | None = None,
) -> int:
    """Run mutmut over one package in this process and record its summary in mutants/scores/."""
    import mutmut.configuration as mutmut_config

    package = PACKAGES[name]
    recorded = record_path(name, only)
    if not tests and (survivors or recheck) and recorded.exists():
        # The selection the verdicts were made with: mutmut drops its verdicts when the selection changes.
        tests = json.loads(recorded.read_text())["tests"]
    config = mutmut_config.config()
    config.only_mutate = only or list(package.mutate)
    config.pytest_add_cli_args_test_selection = tests or list(package.tests)
    for test in package.deselect:
        config.pytest_add_cli_args += ["--deselect", test]

    from mutmut import __main__ as mutmut_main
    from mutmut.mutation.data import SourceFileMutationData

    again: list[str] = []
    if recheck:
        detected = sorted(
            mutant
            for path in _package_meta(config)
            for mutant, status in _statuses(path).items()
            if status in DETECTED
        )
        again = random.Random(f"{name} {recheck}").sample(detected, min(recheck, len(detected)))
    elif survivors:
        if not recorded.exists():
            print(f"mutation: {name}: no recorded run to take survivors from", file=sys.stderr)
            return 2
        again = [entry["mutant"] for entry in json.loads(recorded.read_text())["survivors"]]
        if not again:
            print(f"mutation: {name}: no survivors")
            return 0
    elif not resume:
        # Fresh verdicts for this package (new tests must get their chance at old survivors).
        for path in _package_meta(config):
            data = SourceFileMutationData(path=path)
            data.load()
            data.exit_code_by_key = dict.fromkeys(data.exit_code_by_key)
            data.save()
    for path in _package_sources(config):
        # A run of another package left a plain copy here, newer than the source: mutmut would take it for
        # an up-to-date mutated file. Removed, it is copied and mutated again (kept verdicts still apply).
        (Path("mutants") / path).unlink(missing_ok=True)
    selected = ", ".join(config.pytest_add_cli_args_test_selection)
    print(f"mutation: {name}: mutating {', '.join(config.only_mutate)}; tests {selected}")
    started = time.monotonic()
    try:
        mutmut_main._run(again, jobs)  # named mutants are tested again; the others keep their verdicts
    except SystemExit as exc:
        if exc.code not in (0, None):
            print(f"mutation: {name}: mutmut stopped with {exc.code}", file=sys.stderr)
            return int(exc.code) if isinstance(exc.code, int) else 1
    summary = summarise(name, config, time.monotonic() - started)
    if recheck:
        now = {m: st for path in _package_meta(config) for m, st in _statuses(path).items() if m in again}
        lost = sorted(m for m in again if now.get(m) not in DETECTED)
        summary["recheck"] = {"tested": len(again), "not_detected_again": lost}
        print(f"mutation: {name}: recheck: {len(again) - len(lost)} of {len(again)} detected again")
        for mutant in lost:
            print(f"  not detected again: {mutant}")
    SCORES.mkdir(parents=True, exist_ok=True)
    record_path(name, only).write_text(json.dumps(summary, indent=1, ensure_ascii=False))
    return 0


def record_path(name: str, only: list[str] | None) -> Path:
    """Where a run's summary is kept: one file per package, or per package and --only selection (runs
    of different files of one package, in different checkouts, are merged by the report)."""
    if not only:
        return SCORES / f"{name}.json"
    return SCORES / f"{name}@{hashlib.sha1(' '.join(sorted(only)).encode()).hexdigest()[:8]}.json"


def _statuses(path: Path) -> dict[str, str]:
    """Each mutant of a source file and mutmut's status for it."""
    from mutmut.mutation.data import SourceFileMutationData
    from mutmut.stats import status_by_exit_code

    data = SourceFileMutationData(path=path)
    data.load()
    return {mutant: status_by_exit_code[code] for mutant, code in data.exit_code_by_key.items()}


def _package_sources(config) -> list[Path]:  # type: ignore[no-untyped-def]
    return [path for path in sorted(Path("emulator").rglob("*.py")) if config.should_mutate(path)]


def _package_meta(config) -> list[Path]:  # type: ignore[no-untyped-def]
    """The package's source files that mutmut has mutants for."""
    return [path for path in _package_sources(config) if (Path("mutants") / f"{path}.meta").exists()]


def summarise(name: str, config, seconds: float) -> dict:  # type: ignore[no-untyped-def]
    from mutmut.mutation.data import SourceFileMutationData
    from mutmut.mutation.diff_apply import get_diff_for_mutant
    from mutmut.stats import status_by_exit_code

    counts: dict[str, int] = {}
    files: dict[str, dict[str, int]] = {}
    survivors: list[dict[str, str]] = []
    for path in _package_meta(config):
        data = SourceFileMutationData(path=path)
        data.load()
        file_counts = files.setdefault(str(path), {})
        for mutant, exit_code in data.exit_code_by_key.items():
            status = status_by_exit_code[exit_code]
            counts[status] = counts.get(status, 0) + 1
            file_counts[status] = file_counts.get(status, 0) + 1
            if status not in DETECTED and status != "not checked":
                try:
                    change = _changed_lines(get_diff_for_mutant(mutant, path=path))
                except Exception as exc:  # a missing diff must not lose the scores
                    change = f"(no diff: {exc})"
                survivors.append({"mutant": mutant, "status": status, "change": change, "file": str(path)})
    return {
        "package": name,
        "mutated": list(config.only_mutate),
        "tests": list(config.pytest_add_cli_args_test_selection),
        "counts": counts,
        "files": files,
        "survivors": survivors,
        "seconds": round(seconds),
        "finished": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
    }


def _changed_lines(diff: str) -> str:
    lines = [line for line in diff.splitlines()[2:] if line[:1] in "+-"]
    return " | ".join(re.sub(r"\s+", " ", line).strip() for line in lines)


def equivalent_mutants() -> set[str]:
    """Mutant names listed (in backticks) in mutation-equivalent.md."""
    if not EQUIVALENT_FILE.exists():
        return set()
    return set(re.findall(r"`(emulator\.[^`\s]+__mutmut_\d+)`", EQUIVALENT_FILE.read_text()))


def merged_record(name: str) -> dict | None:
    """The package's summary from its recorded runs: for each source file, the newest run that tested it."""
    records = [json.loads(path.read_text()) for path in SCORES.glob(f"{name}.json")]
    records += [json.loads(path.read_text()) for path in SCORES.glob(f"{name}@*.json")]
    if not records:
        return None
    per_file: dict[str, tuple[dict[str, int], list[dict[str, str]], dict]] = {}
    for record in sorted(records, key=lambda record: record["finished"]):
        for path, file_counts in record.get("files", {}).items():
            mine = [s for s in record["survivors"] if s.get("file") == path]
            per_file[path] = (file_counts, mine, record)
    counts: dict[str, int] = {}
    survivors: list[dict[str, str]] = []
    for file_counts, mine, _ in per_file.values():
        for status, n in file_counts.items():
            counts[status] = counts.get(status, 0) + n
        survivors += mine
    sources = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "emulator").rglob("*.py"))
        if any(fnmatch.fnmatch(str(path.relative_to(ROOT)), glob) for glob in PACKAGES[name].mutate)
    ]
    used = {id(record): record for _, _, record in per_file.values()}.values()
    return {
        "counts": counts,
        "survivors": survivors,
        "seconds": sum(record["seconds"] for record in used),
        "finished": max(record["finished"] for record in records),
        "missing": [path for path in sources if path not in per_file],
        "rechecks": [record["recheck"] for record in records if "recheck" in record],
    }


def print_report(packages: list[str]) -> None:
    equivalent = equivalent_mutants()
    rows = []
    total_detected = total_scored = 0
    print()
    header = ("package", "mutants", "killed", "survived", "no tests", "equiv.", "score")
    print("{:<11} {:>7} {:>7} {:>8} {:>8} {:>6} {:>7}  run".format(*header))
    for name in packages:
        summary = merged_record(name)
        if summary is None:
            print(f"{name:<11} {'(not measured: make mutation PKG=' + name + ')':>48}")
            continue
        counts = summary["counts"]
        survivors = summary["survivors"]
        eq = sum(1 for s in survivors if s["mutant"] in equivalent)
        tested = sum(n for status, n in counts.items() if status != "not checked")
        detected = sum(counts.get(status, 0) for status in DETECTED)
        scored = tested - eq
        score = 100.0 * detected / scored if scored else 0.0
        total_detected, total_scored = total_detected + detected, total_scored + scored
        rows.append((name, survivors, equivalent))
        partial = " (partial)" if counts.get("not checked") else ""
        if summary["missing"]:
            partial += f" (not measured: {', '.join(Path(p).name for p in summary['missing'])})"
        survived, untested = counts.get("survived", 0), counts.get("no tests", 0)
        print(
            f"{name:<11} {tested:>7} {detected:>7} {survived:>8} {untested:>8} {eq:>6} {score:>6.1f}%"
            f"  {summary['seconds']} s, {summary['finished']}{partial}"
        )
    if total_scored:
        overall = 100 * total_detected / total_scored
        print(f"{'overall':<11} {'':>7} {total_detected:>7} {'':>8} {'':>8} {'':>6} {overall:>6.1f}%")
    for name in packages:
        summary = merged_record(name)
        for recheck in summary["rechecks"] if summary else []:
            again = recheck["tested"] - len(recheck["not_detected_again"])
            tested = recheck["tested"]
            print(f"{name}: recheck of {tested} detected mutants picked at random: {again} detected again")
    for name, survivors, eq in rows:
        left = [s for s in survivors if s["mutant"] not in eq]
        if left:
            print(f"\nsurvivors in {name} ({len(left)}; `mutmut show NAME` prints one in full):")
            for survivor in left:
                tag = "" if survivor["status"] == "survived" else f" [{survivor['status']}]"
                print(f"  {survivor['mutant']}{tag}: {survivor['change']}")


if __name__ == "__main__":
    sys.exit(main())
