"""trueopen scan vs picklescan, modelscan, fickling and modelaudit on one corpus, in one run.

Issue item 7. Measures, per scanner: malicious files caught, silent misses, false alarms on
benign files, errors; and wall time and peak memory on three large benign files (a 512 MiB
torch-style zip state_dict, a 512 MiB pickle of one numpy array, a pickle of a ~1.5-million-
opcode dict). Method: shared/research/model-security.md §5.1 (verdict = what a CI gate sees,
i.e. the exit code, annotated with the tool's own severity; one process per file; median of 3
runs, wall time from process start to exit, peak RSS).

    .venv/bin/python benchmarks/scanners.py                 # everything
    .venv/bin/python benchmarks/scanners.py --skip-speed    # verdicts only
    .venv/bin/python benchmarks/scanners.py --skip-corpus   # speed only

Setup it does itself:
- `benchmarks/_work/scanners-venv`: `python3 -m venv` + `pip install picklescan modelscan
  fickling modelaudit` (latest; a package that fails to install is reported and its column is
  dropped). torch is deliberately NOT installed there: none of the four needs it, and
  modelaudit's verdicts change when it is present (research §1.2), so this is modelaudit's
  "bare install" configuration.
- `benchmarks/_work/scanners-corpus/`: generated benign ML files, written without torch (the
  torch zip is assembled by hand, its data.pkl pickled against stand-in `torch` modules put in
  sys.modules only while pickling, so the bytes name the real `torch._utils._rebuild_tensor_v2`
  and `torch.FloatStorage` globals).

Corpus: every row of shared/reference/picklescan-corpus/EXPECTED.tsv and
shared/reference/modelaudit-assets/EXPECTED.tsv (class as the TSV says), plus the generated
benign set. The malicious samples are only ever passed to scanners as paths: this script never
unpickles, loads or extracts anything. Each tool runs with its working directory and TMPDIR in
a scratch folder under benchmarks/_work, and with modelaudit's telemetry off.

## How each tool's result is mapped (documented here, applied in `classify`)

Every run gets a *level*, the tool's own rating of what it found:
  block  = it rates a finding as dangerous / malicious / critical;
  review = it reports something it rates below that (suspicious, likely unsafe, warning);
  none   = no finding;
and a *verdict*, what a CI gate keyed on the exit code sees:
  exit 0                       -> clean (annotated "warned" when level != none: the tool printed a
                                  warning that does not fail the gate, e.g. picklescan "Suspicious")
  exit "found" code + level    -> block or review (= the level)
  exit "error" code + block    -> block, marked +err (the finding is there; e.g. picklescan
                                  exit 2 on a broken stream after a dangerous global)
  exit "error" code + review   -> error (e.g. picklescan exit 2 on a YAML file read as a
                                  pickle, with one "Suspicious" global)
  non-zero exit, no finding    -> error (scan failed, file skipped, "no supported files", crash)

Per tool:
- picklescan `-p FILE`: exit 0 clean / 1 found / 2 scan failed. Level from its summary lines:
  "Dangerous globals: N>0" -> block, else "Suspicious globals: N>0" -> review (Suspicious
  never changes the exit code, so on its own it is "clean, warned").
- modelscan `-p FILE -r json -o OUT`: exit 0 clean / 1 issues / 2 error / 3 no supported files
  / 4 usage. Level from summary.total_issues_by_severity: CRITICAL or HIGH -> block, MEDIUM or
  LOW -> review.
- fickling `--check-safety FILE --json-output OUT` (the CLI; it does not open zips): exit 0 /
  1 / 2 parse error. Level from the JSON "severity": OVERTLY_MALICIOUS and
  LIKELY_OVERTLY_MALICIOUS -> block; LIKELY_UNSAFE and SUSPICIOUS -> review; LIKELY_SAFE -> none.
  A Python traceback with no JSON written is an error (it exits 1, which would otherwise look
  like a detection; research §1.2).
- modelaudit `scan FILE --format json --no-cache`: exit 0 clean / 1 warning or critical /
  2 errors or incomplete. Level from issues[].severity: any "critical" -> block, else any
  "warning" -> review ("info"/"debug" are ignored).
- trueopen `scan FILE --format json`: exit 0 clean / 1 unsafe (block) / 2 incomplete or bad
  input (error, fail closed) / 3 review.

Per tool and class, the counts:
  malicious: caught = verdict block or review (the gate fails with a finding); silent miss =
             exit 0 (the gate passes; "warned" ones printed a non-failing warning);
             error = gate fails with no finding.
  benign:    clean; block (false block); review (gate fails on a review-level finding);
             warned (exit 0 with a warning: picklescan Suspicious); error.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures as cf
import contextlib
import csv
import datetime as dt
import io
import json
import os
import pickle
import pickletools
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import types
import zipfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "benchmarks" / "_work"
VENV = WORK / "scanners-venv"
GEN = WORK / "scanners-corpus"
SCRATCH = WORK / "scanners-scratch"
SHARED = REPO.parent / "shared" / "reference"
if not SHARED.is_dir():  # CI lays shared/ beside the clone; a developer has /work/shared
    SHARED = Path("/work/shared/reference")
CORPORA = ("picklescan-corpus", "modelaudit-assets")
PACKAGES = ("picklescan", "modelscan", "fickling", "modelaudit")
TOOLS = ("picklescan", "modelscan", "fickling", "modelaudit", "trueopen")
MiB = 1 << 20


# ----------------------------------------------------------------------------- setup

def ensure_venv() -> dict[str, str]:
    """Create/reuse the scanners venv; returns {package: version} of what is installed."""
    py = VENV / "bin" / "python"
    if not py.exists():
        print(f"creating {VENV}", flush=True)
        subprocess.run(["python3", "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=False)
    have = installed(py)
    for pkg in PACKAGES:
        if pkg in have:
            continue
        print(f"pip install {pkg}", flush=True)
        r = subprocess.run([str(py), "-m", "pip", "install", "-q", pkg], capture_output=True, text=True)
        if r.returncode:
            print(f"  ! {pkg} failed to install:\n{r.stderr[-2000:]}", flush=True)
    return installed(py)


def installed(py: Path) -> dict[str, str]:
    r = subprocess.run([str(py), "-m", "pip", "list", "--format", "json"], capture_output=True, text=True)
    if r.returncode:
        return {}
    return {p["name"].lower(): p["version"] for p in json.loads(r.stdout)}


# ----------------------------------------------------------------------------- generated files

@contextlib.contextmanager
def fake_torch():
    """Stand-in `torch` / `torch._utils` modules so that pickle writes the real global names
    (GLOBAL 'torch._utils' '_rebuild_tensor_v2', 'torch' 'FloatStorage') without torch."""
    saved = {k: sys.modules.get(k) for k in ("torch", "torch._utils")}
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*a):  # never called: we only pickle a reference to it
        raise AssertionError

    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    FloatStorage = type("FloatStorage", (), {"__module__": "torch"})
    torch.FloatStorage = FloatStorage
    torch._utils = utils
    sys.modules["torch"], sys.modules["torch._utils"] = torch, utils
    try:
        yield torch
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v


class _Storage:
    def __init__(self, key: str, numel: int):
        self.key, self.numel = key, numel


class _Tensor:
    def __init__(self, storage: _Storage, shape: tuple[int, ...]):
        self.storage, self.shape = storage, shape

    def __reduce_ex__(self, proto):
        torch = sys.modules["torch"]
        stride = tuple(int(_prod(self.shape[i + 1:])) for i in range(len(self.shape)))
        return (torch._utils._rebuild_tensor_v2,
                (self.storage, 0, self.shape, stride, False, collections.OrderedDict()))


def _prod(xs) -> int:
    out = 1
    for x in xs:
        out *= x
    return out


def torch_state_dict_pickle(shapes: dict[str, tuple[int, ...]]) -> tuple[bytes, list[tuple[str, int]]]:
    """data.pkl of torch.save(state_dict) (protocol 2, storages as persistent ids)."""
    with fake_torch() as torch:
        sd = collections.OrderedDict()
        storages = []
        for i, (name, shape) in enumerate(shapes.items()):
            st = _Storage(str(i), _prod(shape))
            storages.append((st.key, st.numel * 4))
            sd[name] = _Tensor(st, shape)

        class P(pickle.Pickler):
            def persistent_id(self, obj):
                if isinstance(obj, _Storage):
                    return ("storage", torch.FloatStorage, obj.key, "cpu", obj.numel)
                return None

        buf = io.BytesIO()
        P(buf, protocol=2).dump(sd)
    return buf.getvalue(), storages


def write_torch_zip(path: Path, shapes: dict[str, tuple[int, ...]], fill: int = 0) -> None:
    """A torch.save-style zip (stored, zip64): archive/data.pkl, archive/byteorder,
    archive/data/N, archive/version, archive/.data/serialization_id."""
    data_pkl, storages = torch_state_dict_pickle(shapes)
    tmp = path.with_suffix(".tmp")
    block = bytes([fill]) * MiB
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as z:
        z.writestr("archive/data.pkl", data_pkl)
        z.writestr("archive/byteorder", "little")
        for key, nbytes in storages:
            with z.open(f"archive/data/{key}", "w", force_zip64=True) as f:
                left = nbytes
                while left:
                    n = min(left, MiB)
                    f.write(block[:n])
                    left -= n
        z.writestr("archive/version", "3\n")
        z.writestr("archive/.data/serialization_id", "0123456789012345678901234567890123456789")
    tmp.replace(path)


def generate(big: bool) -> dict[str, dict]:
    """Write (or reuse) the generated benign files; returns {path: info}."""
    import numpy as np  # main venv has numpy; only used to *write* arrays

    GEN.mkdir(parents=True, exist_ok=True)
    out: dict[str, dict] = {}

    def want(name: str, make, **info):
        p = GEN / name
        if not p.exists():
            t0 = time.perf_counter()
            make(p)
            print(f"  wrote {name} ({p.stat().st_size / MiB:.1f} MiB, {time.perf_counter() - t0:.1f}s)", flush=True)
        out[str(p)] = {"size": p.stat().st_size, **info}

    small_shapes = {"layer.weight": (16, 8), "layer.bias": (16,), "head.weight": (4, 16)}
    want("gen_torch_state_dict.pt", lambda p: write_torch_zip(p, small_shapes), kind="small")
    want("gen_numpy_array.pkl",
         lambda p: p.write_bytes(pickle.dumps(np.arange(1000, dtype=np.float32).reshape(10, 100), protocol=4)),
         kind="small")
    want("gen_numpy_array_p5.pkl",
         lambda p: p.write_bytes(pickle.dumps(np.ones((3, 7), dtype=np.int64), protocol=5)), kind="small")
    want("gen_ordereddict.pkl",
         lambda p: p.write_bytes(pickle.dumps(collections.OrderedDict(a=1, b=[1.5, "x"], c={"d": None}), protocol=4)),
         kind="small")
    want("gen_argparse_namespace.pkl",
         lambda p: p.write_bytes(pickle.dumps(
             {"args": argparse.Namespace(lr=3e-4, epochs=10, model="tiny", tags=["a", "b"]), "step": 1200},
             protocol=4)),
         kind="small")

    def dict_pickle(p: Path):
        d = {f"tok_{i:06d}": i for i in range(500_000)}
        p.write_bytes(pickle.dumps(d, protocol=4))

    want("big_dict_1_5M_opcodes.pkl", dict_pickle, kind="big")
    if big:
        # 8 x 4096x4096 fp32 = 512 MiB of storages (research §5.1)
        shapes = {f"layers.{i}.weight": (4096, 4096) for i in range(8)}
        want("big_torch_state_dict_512MiB.pt", lambda p: write_torch_zip(p, shapes), kind="big")

        def array_pickle(p: Path):
            arr = np.zeros(128 * MiB, dtype=np.float32)  # 512 MiB of data
            with open(p, "wb") as f:
                pickle.dump(arr, f, protocol=4)
            del arr

        want("big_numpy_array_512MiB.pkl", array_pickle, kind="big")
    return out


def count_opcodes(path: Path) -> int:
    with open(path, "rb") as f:
        return sum(1 for _ in pickletools.genops(f))


# ----------------------------------------------------------------------------- running tools

@dataclass
class Run:
    tool: str
    path: str
    exit: int
    level: str  # block | review | none
    verdict: str  # block | review | clean | error
    err: bool = False  # finding reported together with the tool's error exit code
    warned: bool = False  # exit 0 with a non-failing finding
    detail: str = ""
    wall: float = 0.0
    rss_mb: float = 0.0  # MiB (KiB from /usr/bin/time or getrusage, / 1024)


def tool_cmd(tool: str, path: str, out: Path) -> list[str]:
    b = VENV / "bin"
    if tool == "picklescan":
        return [str(b / "picklescan"), "-p", path]
    if tool == "modelscan":
        return [str(b / "modelscan"), "-p", path, "-r", "json", "-o", str(out)]
    if tool == "fickling":
        return [str(b / "fickling"), "--check-safety", path, "--json-output", str(out)]
    if tool == "modelaudit":
        return [str(b / "modelaudit"), "scan", path, "--format", "json", "--no-cache"]
    if tool == "trueopen":
        return [str(REPO / ".venv" / "bin" / "trueopen"), "scan", path, "--format", "json"]
    raise ValueError(tool)


TIME = Path("/usr/bin/time")


def run_tool(tool: str, path: str, timeout: float = 600.0) -> Run:
    """One process; wall time from spawn to reap. Peak RSS: wait4's rusage of the child is
    floored by *this* process's high-water mark (Popen forks/vforks us, and Linux carries
    maxrss across exec), which after writing the 512 MiB files is ~550 MB. So when
    /usr/bin/time is installed the tool is started through it and its %M (max RSS of the
    tool, forked from the small `time` process) is used; otherwise wait4's figure."""
    SCRATCH.mkdir(parents=True, exist_ok=True)
    path = os.path.abspath(path)
    with tempfile.TemporaryDirectory(dir=SCRATCH) as d:
        d = Path(d)
        # deep cwd/TMPDIR: whatever a tool writes (fickling's safety_results.json, modelaudit's
        # member temp files) lands here and is deleted with the folder
        cwd = d / "a" / "b" / "c" / "d" / "e" / "f"
        cwd.mkdir(parents=True)
        out = d / "out.json"
        env = dict(os.environ, PROMPTFOO_DISABLE_TELEMETRY="1", TMPDIR=str(cwd), NO_COLOR="1",
                   COLUMNS="200", DO_NOT_TRACK="1")
        env.pop("VIRTUAL_ENV", None)
        with open(d / "stdout", "wb") as so, open(d / "stderr", "wb") as se:
            t0 = time.perf_counter()
            cmd = tool_cmd(tool, path, out)
            if TIME.exists():
                cmd = [str(TIME), "-f", "%M", "-o", str(d / "maxrss"), *cmd]
            p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=so, stderr=se,
                                 stdin=subprocess.DEVNULL)
            deadline = t0 + timeout
            while True:
                pid, status, ru = os.wait4(p.pid, os.WNOHANG)
                if pid:
                    break
                if time.perf_counter() > deadline:
                    p.kill()
                    pid, status, ru = os.wait4(p.pid, 0)
                    break
                time.sleep(0.002)
            wall = time.perf_counter() - t0
            p.returncode = os.waitstatus_to_exitcode(status)
        stdout = (d / "stdout").read_text(errors="replace")
        stderr = (d / "stderr").read_text(errors="replace")
        outjson = out.read_text(errors="replace") if out.exists() else ""
        rss_kb = ru.ru_maxrss
        try:
            rss_kb = int((d / "maxrss").read_text().split()[-1])
        except (OSError, ValueError, IndexError):
            pass
        if TIME.exists() and p.returncode != 0:  # time's own "Command exited with non-zero status"
            stderr = "\n".join(ln for ln in stderr.splitlines() if not ln.startswith("Command exited with"))
    r = classify(tool, path, p.returncode, stdout, stderr, outjson)
    r.wall, r.rss_mb = wall, rss_kb / 1024
    if wall >= timeout:
        r.verdict, r.detail = "error", f"timeout {timeout:.0f}s"
    return r


FICKLING_LEVEL = {"OVERTLY_MALICIOUS": "block", "LIKELY_OVERTLY_MALICIOUS": "block",
                  "LIKELY_UNSAFE": "review", "SUSPICIOUS": "review", "LIKELY_SAFE": "none"}


def classify(tool: str, path: str, code: int, stdout: str, stderr: str, outjson: str) -> Run:
    level, detail, crashed = "none", "", False
    error_codes = {2}  # exit codes that mean "scan failed" (the "found" code is 1 for all four)
    if tool == "picklescan":
        dang = _int(re.search(r"Dangerous globals:\s*(\d+)", stdout))
        susp = _int(re.search(r"Suspicious globals:\s*(\d+)", stdout))
        if dang is None and "dangerous import" in stdout:
            dang = stdout.count("dangerous import")
        level = "block" if dang else "review" if susp else "none"
        detail = f"dangerous={dang} suspicious={susp}"
        if code not in (0, 1) and not (dang or susp):
            detail += " | " + _last_line(stdout + stderr)
    elif tool == "modelscan":
        error_codes = {2, 3, 4}
        try:
            js = json.loads(outjson)
            sev = js["summary"]["total_issues_by_severity"]
            level = ("block" if sev.get("CRITICAL") or sev.get("HIGH")
                     else "review" if sev.get("MEDIUM") or sev.get("LOW") else "none")
            detail = ",".join(f"{k}={v}" for k, v in sev.items() if v)
            if js.get("errors"):
                detail += f" errors={len(js['errors'])}: " + str(js["errors"][0].get("description", ""))[:80]
            skipped = js["summary"].get("skipped", {}).get("total_skipped")
            if skipped:
                detail += f" skipped={skipped}"
        except (ValueError, KeyError, TypeError):
            detail = "no json: " + _last_line(stdout + stderr)
    elif tool == "fickling":
        sev = None
        try:
            js = json.loads(outjson)
            if isinstance(js, list):
                js = js[-1]
            sev = js.get("severity")
        except (ValueError, AttributeError):
            pass
        if sev is None:
            m = re.search(r"\b(OVERTLY_MALICIOUS|LIKELY_OVERTLY_MALICIOUS|LIKELY_UNSAFE|SUSPICIOUS|LIKELY_SAFE)\b",
                          stdout)
            sev = m[1] if m else None
        level = FICKLING_LEVEL.get(sev or "", "none")
        crashed = sev is None and "Traceback" in stderr
        m = re.search(r"(?:Error|Exception): (.*)", stdout + stderr)
        detail = sev or (m[0][:120] if m else _last_line(stdout + stderr))
    elif tool == "modelaudit":
        try:
            js = json.loads(stdout[stdout.index("{"):])
            sevs = collections.Counter(i.get("severity") for i in js.get("issues", []))
            level = "block" if sevs.get("critical") else "review" if sevs.get("warning") else "none"
            detail = ",".join(f"{k}={v}" for k, v in sevs.items() if k in ("critical", "warning"))
            if js.get("has_errors"):
                errs = [i["message"] for i in js.get("issues", []) if i.get("severity") in ("critical", "warning")
                        and re.search(r"error|too large|could not|fail", i.get("message", ""), re.I)]
                detail += " has_errors" + (": " + errs[0][:80] if errs else "")
            first = next((i["message"] for i in js.get("issues", []) if i.get("severity") == "critical"), None)
            if first:
                detail += " | " + first[:80]
        except (ValueError, KeyError, TypeError, AttributeError):
            detail = "no json: " + _last_line(stdout + stderr)
    elif tool == "trueopen":
        try:
            js = json.loads(stdout)
            st = js["status"]
            level = {"unsafe": "block", "review": "review"}.get(st, "none")
            issues = [i for f in js["files"] for i in f.get("issues", [])]
            tricks = sorted({str(i.get("rule") or i.get("trick") or i.get("kind") or "") for i in issues} - {""})
            stopped = [f.get("stopped_by") for f in js["files"] if f.get("stopped_by")]
            detail = st + (" " + ",".join(tricks)[:100] if tricks else "") + (f" stopped_by={stopped[0]}" if stopped else "")
        except (ValueError, KeyError, TypeError):
            detail = "no json: " + _last_line(stdout + stderr)
        if code == 2:
            level = "none"  # incomplete: fail closed, counted as error
        error_codes = {2}
    if code == 0:
        verdict = "clean"
    elif crashed or level == "none" or (code in error_codes and level == "review"):
        verdict = "error"  # a scan failure with at most a review-level note is a failure
    else:
        verdict = level
    return Run(tool, path, code, level, verdict, err=code in error_codes and level == "block",
               warned=code == 0 and level != "none", detail=detail.strip())


def _int(m) -> int | None:
    return int(m[1]) if m else None


def _last_line(s: str) -> str:
    lines = [ln.strip() for ln in s.strip().splitlines() if ln.strip()]
    return lines[-1][:120] if lines else ""


# ----------------------------------------------------------------------------- corpus verdicts

def load_corpus() -> list[tuple[str, str, str]]:
    """[(path, class, label)]"""
    rows = []
    for name in CORPORA:
        base = SHARED / name
        with open(base / "EXPECTED.tsv", newline="") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                rows.append((str(base / row["path"]), row["expected"], f"{name}/{row['path']}"))
    return rows


def run_corpus(tools: list[str], files: list[tuple[str, str, str]], workers: int) -> list[tuple[str, str, Run]]:
    jobs = [(t, f) for f in files for t in tools]
    results: list[tuple[str, str, Run]] = []
    t0 = time.perf_counter()
    with cf.ThreadPoolExecutor(max_workers=workers) as ex:
        futs = {ex.submit(run_tool, t, f[0], 300.0): (t, f) for t, f in jobs}
        for i, fut in enumerate(cf.as_completed(futs), 1):
            t, (path, cls, label) = futs[fut]
            results.append((cls, label, fut.result()))
            if i % 100 == 0:
                print(f"  {i}/{len(jobs)} runs, {time.perf_counter() - t0:.0f}s", flush=True)
    return results


def tally(results, tools) -> dict[str, dict[str, collections.Counter]]:
    out: dict[str, dict[str, collections.Counter]] = {t: collections.defaultdict(collections.Counter) for t in tools}
    for cls, _label, r in results:
        c = out[r.tool][cls]
        c["n"] += 1
        c[r.verdict] += 1
        if r.warned:
            c["warned"] += 1
        if r.err:
            c["err"] += 1
    return out


# ----------------------------------------------------------------------------- speed

def run_speed(tools: list[str], bigs: list[Path], reps: int) -> dict[tuple[str, str], list[Run]]:
    out: dict[tuple[str, str], list[Run]] = {}
    for path in bigs:
        with open(path, "rb", buffering=0) as f:  # warm the page cache
            while f.read(8 * MiB):
                pass
        # reps interleaved across tools, so that load from other jobs on the machine is spread
        # over all of them instead of landing on one tool's three runs
        for _ in range(reps):
            for tool in tools:
                out.setdefault((tool, path.name), []).append(run_tool(tool, str(path), timeout=900.0))
        for tool in tools:
            runs = out[(tool, path.name)]
            med = statistics.median(r.wall for r in runs)
            print(f"  {tool:10s} {path.name:34s} {med:7.2f}s {max(r.rss_mb for r in runs):8.0f} MiB "
                  f"exit={runs[0].exit} {runs[0].verdict} {runs[0].detail[:70]}", flush=True)
    return out


# ----------------------------------------------------------------------------- report

def machine() -> str:
    cpu = platform.processor() or "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(re.search(r"MemTotal:\s*(\d+)", open("/proc/meminfo").read())[1])
        mem = f", {kb / 2**20:.0f} GiB RAM"
    except (OSError, TypeError):
        pass
    return (f"{cpu}, {os.cpu_count()} cores{mem}, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


def fmt_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def report(tools, versions, corpus_results, speed, opcodes, startup, sampled_note) -> str:
    out = [f"Date: {dt.date.today().isoformat()}. Machine: {machine()}.",
           "Versions: " + ", ".join(f"{t} {versions.get(t, '?')}" for t in tools), ""]
    if corpus_results:
        t = tally(corpus_results, tools)
        nmal = t[tools[0]]["malicious"]["n"]
        nben = t[tools[0]]["benign"]["n"]
        out.append(f"### Detection ({nmal} malicious, {nben} benign files; verdict = exit code){sampled_note}")
        rows = []

        def cell(tool, cls, key):
            return str(t[tool][cls].get(key, 0))

        rows.append(["malicious caught (block / review)"] + [
            f"{t[x]['malicious'].get('block', 0) + t[x]['malicious'].get('review', 0)} "
            f"({t[x]['malicious'].get('block', 0)} / {t[x]['malicious'].get('review', 0)})"
            + (f", {t[x]['malicious']['err']} with exit 2" if t[x]['malicious'].get('err') else "") for x in tools])
        rows.append(["**silent misses** (exit 0)"] + [
            f"**{cell(x, 'malicious', 'clean')}**" + (f" ({t[x]['malicious']['warned']} warned)"
                                                       if t[x]['malicious'].get('warned') else "") for x in tools])
        rows.append(["malicious: error / not scanned"] + [cell(x, "malicious", "error") for x in tools])
        rows.append(["benign clean"] + [cell(x, "benign", "clean") for x in tools])
        rows.append(["**benign blocked** (false block)"] + [f"**{cell(x, 'benign', 'block')}**" for x in tools])
        rows.append(["benign review (gate fails)"] + [cell(x, "benign", "review") for x in tools])
        rows.append(["benign warned, exit 0"] + [cell(x, "benign", "warned") for x in tools])
        rows.append(["benign error"] + [cell(x, "benign", "error") for x in tools])
        other = sorted({c for c, _l, _r in corpus_results} - {"malicious", "benign"})
        for c in other:
            rows.append([f"class '{c}' (n={t[tools[0]][c]['n']}): verdicts"] + [
                ", ".join(f"{k}={v}" for k, v in sorted(t[x][c].items()) if k in ("block", "review", "clean", "error"))
                for x in tools])
        out.append(fmt_table(["", *tools], rows))
        out.append("")
    if speed:
        out.append("### Speed and memory (median of reps, wall s incl. start-up; peak RSS MiB; verdict)")
        names = sorted({n for _t, n in speed})
        rows = []
        base = "picklescan" if "picklescan" in tools else tools[0]
        for n in names:
            row = [n]
            for tool in tools:
                runs = speed.get((tool, n))
                if not runs:
                    row.append("–")
                    continue
                med = statistics.median(r.wall for r in runs)
                rss = max(r.rss_mb for r in runs)
                row.append(f"{med:.2f} s, {rss:.0f} MiB, {runs[0].verdict} (exit {runs[0].exit})")
            rows.append(row)
            bruns = speed.get((base, n))
            if bruns:
                bmed = statistics.median(r.wall for r in bruns)
                brss = max(r.rss_mb for r in bruns)
                ratio = [f"  time / RSS vs {base}"]
                for tool in tools:
                    runs = speed.get((tool, n))
                    if not runs:
                        ratio.append("–")
                        continue
                    ratio.append(f"{statistics.median(r.wall for r in runs) / bmed:.2f}× / "
                                 f"{max(r.rss_mb for r in runs) / brss:.2f}×")
                rows.append(ratio)
        dict_name = next((n for n in names if "dict" in n), None)
        if dict_name and opcodes:
            row = [f"opcodes/s on the dict ({opcodes:,} opcodes), wall incl. start-up"]
            row2 = ["opcodes/s net of start-up (minus median wall on a 3-opcode pickle)"]
            rate = {}
            rate_net = {}
            for tool in tools:
                runs = speed.get((tool, dict_name))
                if not runs:
                    row.append("–")
                    row2.append("–")
                    continue
                med = statistics.median(r.wall for r in runs)
                rate[tool] = opcodes / med
                net = med - startup.get(tool, 0.0)
                rate_net[tool] = opcodes / net if net > 0 else float("nan")
            for tool in tools:
                if tool in rate:
                    row.append(f"{rate[tool] / 1e6:.2f} M/s ({rate[tool] / rate.get(base, float('nan')):.2f}×)")
                    row2.append(f"{rate_net[tool] / 1e6:.2f} M/s ({rate_net[tool] / rate_net.get(base, float('nan')):.2f}×)")
            rows += [row, row2]
            rows.append(["start-up (median wall, tiny pickle)"] + [
                f"{startup[x]:.2f} s" if x in startup else "–" for x in tools])
        out.append(fmt_table(["file", *tools], rows))
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tools", default=",".join(TOOLS))
    ap.add_argument("--skip-corpus", action="store_true")
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2, help="parallel processes for the verdict runs")
    ap.add_argument("--sample", type=int, default=0,
                    help="scan only every Nth reference file (deterministic), 0 = all")
    ap.add_argument("--reuse-corpus", action="store_true",
                    help="take the verdicts from the last run's scanners-corpus-results.json")
    ap.add_argument("--no-big", action="store_true", help="skip the two 512 MiB files")
    ap.add_argument("--json", type=Path, default=WORK / "scanners-results.json", help="raw per-run records")
    args = ap.parse_args()

    versions = ensure_venv()
    tools = []
    for t in args.tools.split(","):
        if t == "trueopen" or t in versions:
            tools.append(t)
        else:
            print(f"! {t} is not installed in {VENV}; its column is dropped", flush=True)
    versions["trueopen"] = subprocess.run([str(REPO / ".venv" / "bin" / "python"), "-c",
                                           "import importlib.metadata as m; print(m.version('trueopen'))"],
                                          capture_output=True, text=True).stdout.strip() or "?"
    print(f"machine: {machine()}", flush=True)
    print("generating benign files", flush=True)
    gen = generate(big=not args.no_big)

    corpus_results = []
    sampled_note = ""
    if args.reuse_corpus:
        saved = json.loads((WORK / "scanners-corpus-results.json").read_text())
        corpus_results = [(d.pop("class"), d.pop("label"), Run(**d)) for d in saved]
        for _c, _l, r in corpus_results:  # records from before the review+error rule
            if r.err and r.level == "review":
                r.verdict, r.err = "error", False
        corpus_results = [x for x in corpus_results if x[2].tool in tools]
        print(f"verdicts reused from {WORK / 'scanners-corpus-results.json'}", flush=True)
    elif not args.skip_corpus:
        files = load_corpus()
        if args.sample > 1:
            files = files[::args.sample]
            sampled_note = f" – every {args.sample}th reference file"
        files += [(p, "benign", "generated/" + Path(p).name) for p, i in gen.items() if i["kind"] == "small"]
        print(f"verdict runs: {len(files)} files x {len(tools)} tools", flush=True)
        corpus_results = run_corpus(tools, files, args.workers)
        (WORK / "scanners-corpus-results.json").write_text(json.dumps(
            [{"class": c, "label": lbl, **r.__dict__} for c, lbl, r in corpus_results], indent=1))

    speed, opcodes, startup = {}, 0, {}
    if not args.skip_speed:
        bigs = sorted((Path(p) for p, i in gen.items() if i["kind"] == "big"), key=lambda p: p.name)
        dict_file = next(p for p in bigs if "dict" in p.name)
        opcodes = count_opcodes(dict_file)
        print(f"dict pickle: {opcodes:,} opcodes, {dict_file.stat().st_size / MiB:.1f} MiB", flush=True)
        tiny = GEN / "tiny.pkl"
        tiny.write_bytes(pickle.dumps(1, protocol=2))  # PROTO, BININT1, STOP
        for tool in tools:
            startup[tool] = statistics.median(run_tool(tool, str(tiny)).wall for _ in range(args.reps))
        print("start-up: " + ", ".join(f"{t} {s:.2f}s" for t, s in startup.items()), flush=True)
        speed = run_speed(tools, bigs, args.reps)

    args.json.write_text(json.dumps({
        "machine": machine(), "date": dt.datetime.now().isoformat(timespec="seconds"), "versions": versions,
        "opcodes": opcodes, "startup": startup,
        "corpus": [{"class": c, "label": lbl, **r.__dict__} for c, lbl, r in corpus_results],
        "speed": [{"tool": t, "file": n, "runs": [r.__dict__ for r in rs]} for (t, n), rs in speed.items()],
    }, indent=1))
    print()
    print(report(tools, versions, corpus_results, speed, opcodes, startup, sampled_note))
    print(f"\nraw records: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
