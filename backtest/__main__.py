"""`make backtest FILE=reports.jsonl [EXPECT=expectations.json] [MODE=batch]`: replay a history of
reports through the real pipeline on a scratch database and topic prefix, print the figures as tables
and write them as JSON.

    python -m backtest FILE [--expect FILE] [--mode batch|day|report|kafka] [--kill-midway]
                            [--compare MODE] [--out FILE] [--timeout SECONDS]

Exit status: 0 when every expectation passed (or none was given) and, with --compare, both runs were
identical; 1 otherwise; 2 on a bad file or argument.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from backtest import expect, output
from backtest.measure import differences, figures
from backtest.replay import Mode, replay, replay_twice
from backtest.settings import BacktestSettings

OUT_DIR = Path(".local/backtest")


def log(msg: str) -> None:
    print(f"[backtest] {msg}", file=sys.stderr, flush=True)


def read_reports(path: Path) -> list[dict[str, Any]]:
    """One JSON object per line; blank lines are skipped. Validation is intake's job (rejects are
    listed), but a line that is not JSON stops the run here."""
    reports = []
    for n, line in enumerate(path.read_bytes().splitlines(), 1):
        if line.strip():
            try:
                reports.append(orjson.loads(line))
            except orjson.JSONDecodeError as exc:
                raise SystemExit(f"{path}:{n}: not JSON: {exc}") from None
    return reports


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m backtest", description=__doc__.split("\n\n")[0])
    p.add_argument("file", type=Path, help="reports, one v1 report JSON per line (JSONL)")
    p.add_argument("--expect", type=Path, help="expectations JSON (episodes, quiet regencies, goals)")
    p.add_argument(
        "--mode", type=Mode, choices=list(Mode), default=Mode.BATCH, help="how reports reach intake"
    )
    p.add_argument(
        "--kill-midway", action="store_true", help="SIGKILL and restart scoring and notify halfway"
    )
    p.add_argument(
        "--compare",
        type=Mode,
        choices=list(Mode),
        help="replay a second time in this mode and require identical assessments and alert versions",
    )
    p.add_argument("--out", type=Path, help="JSON result (default .local/backtest/<file>-<mode>.json)")
    p.add_argument("--timeout", type=float, default=1800.0, help="seconds to wait for the pipeline")
    return p.parse_args(argv)


async def run(args: argparse.Namespace) -> int:
    settings = BacktestSettings()
    try:
        exp = expect.load(args.expect) if args.expect else None
    except (OSError, ValidationError) as exc:
        log(f"bad expectations file {args.expect}: {exc}")
        return 2
    reports = read_reports(args.file)
    target = settings.target()
    started = datetime.now(UTC)
    diff = None
    if args.compare:
        first, second = await replay_twice(
            target,
            reports,
            args.mode,
            args.compare,
            kill_midway=args.kill_midway,
            timeout=args.timeout,
            log=log,
        )
        diff = differences(first.data, second.data)
        result = first
    else:
        result = await replay(
            target, reports, args.mode, kill_midway=args.kill_midway, timeout=args.timeout, log=log
        )
    figs = figures(result.data)
    checks = expect.evaluate(exp, result.data, figs) if exp else None
    meta: dict[str, Any] = {
        "file": str(args.file),
        "mode": args.mode.value,
        "kill_midway": args.kill_midway,
        "started_at": started.isoformat(timespec="seconds"),
        "replay_seconds": round(result.seconds, 1),
        "rejected": result.submitted.rejected,
    }
    if result.submitted.rejected:
        log(f"intake rejected {len(result.submitted.rejected)}: {result.submitted.rejected[:5]}")
    print(output.render(figs, checks, {**meta, "rejected": len(result.submitted.rejected)}))
    doc = output.document(figs, checks, meta)
    rc = 0 if checks is None or all(c.passed for c in checks) else 1
    if diff is not None:
        doc["determinism"] = {
            "modes": [args.mode.value, args.compare.value],
            "identical": diff.identical,
            "assessment_differences": diff.assessments,
            "version_differences": diff.versions,
        }
        verdict = "identical" if diff.identical else "DIFFERENT"
        print(f"\nDeterminism ({args.mode.value} vs {args.compare.value}): {verdict}")
        for line in (diff.assessments + diff.versions)[:20]:
            print(f"  {line}")
        rc = rc or (0 if diff.identical else 1)
    out = args.out or OUT_DIR / f"{args.file.stem}-{args.mode.value}.json"
    output.write_json(out, doc)
    log(f"JSON written to {out}")
    return rc


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(run(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
