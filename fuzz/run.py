"""The fuzzing loop and its report."""

from __future__ import annotations

import random
import resource
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from fuzz.mutate import MUTATORS
from fuzz.oracle import runs_payload
from fuzz.seeds import seeds
from trueopen.errors import InputError
from trueopen.scan.dispatch import scan_bytes

SLOW_SECONDS = 5.0   # a scan slower than this is reported as a stall


@dataclass
class Stats:
    tried: Counter = field(default_factory=Counter)
    verdicts: dict = field(default_factory=lambda: defaultdict(Counter))
    misses: list = field(default_factory=list)      # (format, mutator, index, path)
    crashes: list = field(default_factory=list)
    stalls: list = field(default_factory=list)
    oracle_runs: int = 0
    seconds: float = 0.0


def cases(seed: int):
    """Endless deterministic (index, format, mutator, bytes) from `seed`."""
    rng = random.Random(seed)
    table = seeds()
    every = [s for group in table.values() for s in group]
    formats = sorted(table)
    names = sorted(MUTATORS)
    index = 0
    while True:
        fmt = formats[index % len(formats)]
        name = rng.choice(names)
        data = MUTATORS[name](rng, rng.choice(table[fmt]), every)
        yield index, fmt, name, data
        index += 1


def run(*, count: int | None = None, seconds: float | None = None, seed: int = 0,
        out: Path | None = None) -> Stats:
    """Fuzz until `count` inputs or `seconds` pass; silent misses are saved under `out`."""
    stats = Stats()
    start = time.monotonic()
    for index, fmt, name, data in cases(seed):
        if count is not None and index >= count:
            break
        if seconds is not None and time.monotonic() - start >= seconds:
            break
        stats.tried[fmt] += 1
        began = time.monotonic()
        try:
            status = scan_bytes(f"sample.{fmt}", data).status
        except InputError:
            status = "error"
        except Exception as exc:  # noqa: BLE001 - a crash is a finding
            stats.crashes.append((fmt, name, index, f"{type(exc).__name__}: {exc}"[:200]))
            status = "crash"
        took = time.monotonic() - began
        if took > SLOW_SECONDS:
            stats.stalls.append((fmt, name, index, round(took, 1)))
        stats.verdicts[fmt][status] += 1
        if status == "clean":
            stats.oracle_runs += 1
            if runs_payload(data):
                saved = None
                if out is not None:
                    out.mkdir(parents=True, exist_ok=True)
                    saved = out / f"miss-{seed}-{index}-{fmt}-{name}.bin"
                    saved.write_bytes(data)
                stats.misses.append((fmt, name, index, str(saved)))
    stats.seconds = time.monotonic() - start
    return stats


def report(stats: Stats, seed: int) -> str:
    """A plain-text table per format, then the misses, crashes and stalls."""
    total = sum(stats.tried.values())
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines = [f"seed {seed}: {total} inputs in {stats.seconds:.0f} s "
             f"({total / max(stats.seconds, 1e-9):.0f}/s), {stats.oracle_runs} loaded by the real "
             f"loaders, peak RSS {rss:.0f} MiB",
             f"{'format':<14}{'tried':>8}{'unsafe':>8}{'incompl':>8}{'review':>8}{'clean':>8}"
             f"{'error':>8}{'misses':>8}"]
    missed = Counter(m[0] for m in stats.misses)
    for fmt in sorted(stats.tried):
        v = stats.verdicts[fmt]
        lines.append(f"{fmt:<14}{stats.tried[fmt]:>8}{v['unsafe']:>8}{v['incomplete']:>8}"
                     f"{v['review']:>8}{v['clean']:>8}{v['error']:>8}{missed[fmt]:>8}")
    for kind, rows in (("silent miss", stats.misses), ("crash", stats.crashes),
                       ("stall", stats.stalls)):
        for row in rows:
            lines.append(f"{kind}: {row}")
    lines.append(f"silent misses: {len(stats.misses)}; crashes: {len(stats.crashes)}; "
                 f"stalls: {len(stats.stalls)}")
    return "\n".join(lines)
