"""Non-pickle formats: safetensors, GGUF, chat templates, ONNX, Keras (.keras / .h5),
TensorFlow SavedModel, and the JSON configs that make a loader run code (`auto_map`).

Every parser here reads bytes itself with explicit limits; none imports onnx, gguf, h5py,
tensorflow or jinja2, so the verdict is the same on every machine. Templates are analysed as
text, never rendered.
"""

from __future__ import annotations

import io
import json
import re
import struct
from typing import Any, Callable, Iterator

from trueopen.readers.safetensors_header import read_header
from trueopen.scan.result import Collector, RangeStream, ScanContext, Source

__all__ = [
    "GGUF_LIMITS",
    "analyse_template",
    "keras_member_hook",
    "scan_gguf",
    "scan_hdf5",
    "scan_onnx",
    "scan_safetensors",
    "scan_savedmodel",
    "scan_text",
]

# --- safetensors --------------------------------------------------------------------------

_CODE_LIKE = re.compile(
    r"os\.system|subprocess|__import__|\beval\s*\(|\bexec\s*\(|<script\b|"
    r"(?:^|[;\n])\s*(?:import\s+[\w.]+|from\s+[\w.]+\s+import\b)|"
    r"rm\s+-rf|\bwget\s|\bcurl\s|chmod\s+[0-7]{3}|base64\.b64decode", re.I)


def scan_safetensors(ctx: ScanContext, col: Collector, src: Source, member: str | None) -> str:
    """Strict header check (length, JSON, dtype x shape, offsets in bounds, no overlap or hole)
    through the shared reader; metadata holding code-like text is flagged for review."""
    header = read_header(src.read_at, src.size)
    for p in header.problems[:ctx.limits.max_issues_per_kind]:
        col.add("review", "safetensors-header", p.detail, offset=p.offset, member=member)
    if len(header.problems) > ctx.limits.max_issues_per_kind:
        col.add("review", "safetensors-header",
                f"{len(header.problems) - ctx.limits.max_issues_per_kind} more header problems "
                f"(limit max_issues_per_kind)", member=member)
    for key, value in sorted(header.metadata.items()):
        m = _CODE_LIKE.search(value)
        if m:
            col.add("review", "safetensors-metadata-code",
                    f"__metadata__[{key!r}] holds code-like text ({m.group(0)!r}); no loader "
                    f"runs it, but a script that evaluates metadata would", member=member)
    return "safetensors"


# --- chat templates -----------------------------------------------------------------------

_BLOCK_DUNDERS = {
    "__class__", "__mro__", "__subclasses__", "__globals__", "__builtins__", "__init__",
    "__import__", "__base__", "__bases__", "__dict__", "__getattribute__", "__reduce__",
    "__reduce_ex__", "__code__", "__self__", "__func__", "__loader__", "__spec__",
    "__getitem__", "__call__", "__closure__", "__module__", "__new__", "__setattr__",
}
_DUNDER = re.compile(r"__[A-Za-z_][A-Za-z0-9_]*?__")
_BLOCK_WORDS = [
    (re.compile(r"_TemplateReference__context"), "template context escape"),
    (re.compile(r"\brequest\s*(\.|\[\s*['\"])\s*application"), "Flask request.application"),
    (re.compile(r"\bos\s*\.\s*(system|popen|environ|exec\w*|spawn\w*|remove|unlink)"),
     "os module call"),
    (re.compile(r"\bpopen\b"), "popen"),
    (re.compile(r"\bsubprocess\b"), "subprocess"),
    (re.compile(r"\b(eval|exec|compile)\s*\("), "eval/exec"),
    (re.compile(r"\bimport_module\b|\bimportlib\b"), "importlib"),
    (re.compile(r"\bgetattr\s*\("), "getattr call"),
    (re.compile(r"\b(cycler|joiner|lipsum|namespace|range|dict|config|self)\s*\.\s*__"),
     "dunder access on a template global"),
]
_REVIEW_WORDS = [
    (re.compile(r"\|\s*attr\s*\("), "|attr() dynamic attribute access"),
    (re.compile(r"\\x5f|\\u005f|\\137|\\N\{LOW LINE\}", re.I), "escaped underscore"),
    (re.compile(r"\bchr\s*\("), "chr() string building"),
    (re.compile(r"\b(cycler|joiner|lipsum)\b"), "cycler/joiner/lipsum global"),
    (re.compile(r"\.\s*(mro|func_globals|gi_frame|f_globals|f_back)\b"), "introspection"),
]
_STRING = re.compile(r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*\"""", re.S)
_ESC = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|.)", re.S)
_SIMPLE_ESC = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "0": "\0"}


def _unescape(body: str) -> str:
    def one(m: re.Match[str]) -> str:
        e = m.group(1)
        if e[0] in "xuU" and len(e) > 1:
            return chr(int(e[1:], 16))
        if e[0] in "01234567":
            return chr(int(e, 8) & 0x10FFFF)
        return _SIMPLE_ESC.get(e, e)

    return _ESC.sub(one, body)


def _code_blocks(text: str) -> Iterator[tuple[int, str]]:
    """The Jinja code inside {{ }}, {% %} (and line statements are rare in chat templates).
    Unbalanced delimiters: the rest of the text is treated as code (fail closed)."""
    i = 0
    while True:
        m = re.compile(r"\{\{|\{%").search(text, i)
        if not m:
            return
        close = "}}" if m.group(0) == "{{" else "%}"
        end = text.find(close, m.end())
        if end < 0:
            yield m.end(), text[m.end():]
            return
        yield m.end(), text[m.end():end]
        i = end + 2


def analyse_template(text: str) -> list[tuple[str, str, str, int, str | None]]:
    """Find Jinja sandbox-escape patterns in a template without rendering it.

    Returns (verdict, rule, detail, char offset, trick) tuples. String literals are decoded
    (\\x5f escapes) and adjacent literals joined, so '__cla' ~ 'ss__' and
    ['__cla','ss__']|join are seen as __class__."""
    out: list[tuple[str, str, str, int, str | None]] = []
    seen: set[tuple[str, str]] = set()

    def add(verdict: str, rule: str, detail: str, at: int, trick: str | None = None) -> None:
        if (rule, detail) not in seen:
            seen.add((rule, detail))
            out.append((verdict, rule, detail, at, trick))

    for base, code in _code_blocks(text):
        literals = [(m.start(), _unescape(m.group(0)[1:-1])) for m in _STRING.finditer(code)]
        bare = _STRING.sub("''", code)
        for m in _DUNDER.finditer(bare):
            name = m.group(0)
            verdict = "block" if name in _BLOCK_DUNDERS else "review"
            add(verdict, "template-dunder", f"attribute {name} in template code",
                base + m.start())
        for pos, lit in literals:
            for m in _DUNDER.finditer(lit):
                name = m.group(0)
                raw = code[pos:pos + len(lit) + 2]
                trick = "escaped-dunder" if name not in raw else None
                verdict = "block" if name in _BLOCK_DUNDERS else "review"
                add(verdict, "template-dunder-string",
                    f"string {name!r} used in template code (item/attr lookup)",
                    base + pos, trick)
        soup = "".join(lit for _p, lit in literals)
        for m in _DUNDER.finditer(soup):
            if not any(m.group(0) in lit for _p, lit in literals) and \
                    m.group(0) in _BLOCK_DUNDERS:
                add("block", "template-dunder-built",
                    f"{m.group(0)} assembled from string pieces", base, "string-built-dunder")
        for rx, what in _BLOCK_WORDS:
            for m in rx.finditer(bare):
                add("block", "template-escape", f"{what}: {m.group(0).strip()!r}",
                    base + m.start())
        for rx, what in _REVIEW_WORDS:
            m = rx.search(code)
            if m:
                add("review", "template-suspicious", f"{what}: {m.group(0).strip()!r}",
                    base + m.start(),
                    "escaped-underscore" if what == "escaped underscore" else None)
    return out


def _template_issues(ctx: ScanContext, col: Collector, text: str, where: str,
                     member: str | None, base: int | None = None) -> None:
    if len(text) > ctx.limits.max_template_bytes:
        col.incomplete("template-size", f"{where}: template of {len(text):,} characters not "
                       f"analysed", "limit max_template_bytes", member=member)
        return
    for verdict, rule, detail, at, trick in analyse_template(text):
        col.add(verdict, rule, f"{where}: {detail} (template char {at})",
                offset=None if base is None else base, member=member, trick=trick)


# --- GGUF -----------------------------------------------------------------------------------

GGUF_LIMITS = {
    "max_gguf_kv": 1_000_000,
    "max_gguf_tensors": 10_000_000,
    "max_gguf_key_bytes": 65_536,
    "max_gguf_string_bytes": 64 * 2**20,
    "max_gguf_array_items": 50_000_000,
    "max_gguf_array_depth": 4,
}
_GGUF_FIXED = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_GGUF_HINT_AFTER = 256  # strings of an array read before its mean length is taken as the rest's
_GGUF_HINT_MEAN = 4096  # strings longer than this on average are no vocabulary: no hint
_GGUF_BUFFER = 1 << 16
_GGUF_HINT_SLACK = _GGUF_BUFFER + 4096  # bytes hinted past the estimated end of a string array


class _GGUFStop(Exception):
    def __init__(self, detail: str, limit: str) -> None:
        super().__init__(detail)
        self.detail, self.limit = detail, limit


def scan_gguf(ctx: ScanContext, col: Collector, src: Source, member: str | None) -> str:
    """GGUF v1-3 header and metadata key/values, each bounded; every `tokenizer.chat_template*`
    value is analysed as a template. Tensor data is never read."""
    s = io.BufferedReader(RangeStream(src.read_at, src.size), _GGUF_BUFFER)
    pos = 0

    def read(n: int) -> bytes:
        nonlocal pos
        b = s.read(n)
        pos += len(b)
        if len(b) < n:
            raise _GGUFStop("file ends inside the metadata", "truncated GGUF")
        return b

    def skip(n: int) -> None:
        nonlocal pos
        if pos + n > src.size:
            raise _GGUFStop("a value runs past the end of the file", "truncated GGUF")
        s.seek(pos + n)
        pos += n

    try:
        magic, version = struct.unpack("<4sI", read(8))
        if version not in (1, 2, 3):
            col.incomplete("gguf-version", f"GGUF version {version} unknown",
                           "unsupported GGUF version", member=member)
            return "gguf"
        wide = version >= 2
        cnt = "<QQ" if wide else "<II"
        n_tensors, n_kv = struct.unpack(cnt, read(16 if wide else 8))
        if n_tensors > GGUF_LIMITS["max_gguf_tensors"]:
            raise _GGUFStop(f"{n_tensors:,} tensors declared", "limit max_gguf_tensors")
        if n_kv > GGUF_LIMITS["max_gguf_kv"]:
            raise _GGUFStop(f"{n_kv:,} metadata entries declared", "limit max_gguf_kv")
        lenfmt, lensize = ("<Q", 8) if wide else ("<I", 4)

        def string_len(cap: str) -> int:
            (n,) = struct.unpack(lenfmt, read(lensize))
            if n > GGUF_LIMITS[cap]:
                raise _GGUFStop(f"string of {n:,} bytes at {pos - lensize}", f"limit {cap}")
            return n

        allowance = max(src.size // 2048, _GGUF_BUFFER)

        def strings(count: int) -> None:
            """Skip `count` strings. A remote source is told how far they probably reach, so that it
            fetches a tokenizer's vocabulary in a few requests rather than in blocks growing from
            64 KiB (19 requests for 8 MiB of metadata, benchmarks/hub.py): after 256 strings, and
            again when the walk passes the point hinted, while the strings are short (a mean
            under 4 KiB). The hint is their mean length times those left, but never more than
            what those left surely take (their length fields) plus 1/2048 of the file or what
            the array took so far, if more: what is fetched beyond what the walk reads stays
            within the read-ahead's own bounds (it doubles what a read continues, up to 1/2048
            of the file)."""
            start, hinted = pos, 0
            for i in range(count):
                if src.will_read is not None and i >= _GGUF_HINT_AFTER and pos >= hinted \
                        and (pos - start) // i <= _GGUF_HINT_MEAN:
                    left = count - i
                    hinted = pos + min(left * (pos - start) // i, left * lensize + max(allowance, pos - start))
                    # (and a buffer more: the key after the array is read, through the 64 KiB
                    # buffer, before its value is skipped; a miss there would grow the read-ahead
                    # to half a MiB, of an array about to be skipped)
                    src.will_read(pos, hinted + _GGUF_HINT_SLACK)
                skip(string_len("max_gguf_string_bytes"))

        def value(vtype: int, keep: bool, depth: int) -> Any:
            if vtype in _GGUF_FIXED:
                skip(_GGUF_FIXED[vtype])
                return None
            if vtype == 8:
                n = string_len("max_gguf_string_bytes")
                if keep:
                    return read(n)
                skip(n)
                return None
            if vtype == 9:
                if depth >= GGUF_LIMITS["max_gguf_array_depth"]:
                    raise _GGUFStop("arrays nested too deeply", "limit max_gguf_array_depth")
                (itype,) = struct.unpack("<I", read(4))
                (count,) = struct.unpack(lenfmt, read(lensize))
                if count > GGUF_LIMITS["max_gguf_array_items"]:
                    raise _GGUFStop(f"array of {count:,} items", "limit max_gguf_array_items")
                if itype in _GGUF_FIXED:
                    skip(_GGUF_FIXED[itype] * count)
                    return None
                if itype == 8 and not keep:
                    strings(count)  # (not a list of `count` Nones)
                    return None
                return [value(itype, keep, depth + 1) for _ in range(count)]
            raise _GGUFStop(f"unknown value type {vtype} at {pos - 4}", "corrupt GGUF")

        for _ in range(n_kv):
            key = read(string_len("max_gguf_key_bytes")).decode("utf-8", "replace")
            (vtype,) = struct.unpack("<I", read(4))
            at = pos
            keep = key.startswith("tokenizer.chat_template")
            v = value(vtype, keep, 0)
            if keep:
                texts = v if isinstance(v, list) else [v]
                for t in texts:
                    if isinstance(t, bytes):
                        _template_issues(ctx, col, t.decode("utf-8", "replace"),
                                         f"GGUF {key}", member, at)
    except _GGUFStop as stop:
        col.incomplete("gguf-metadata", f"GGUF metadata: {stop.detail}", stop.limit,
                       member=member, offset=pos)
    except struct.error:
        col.incomplete("gguf-metadata", "GGUF metadata truncated", "truncated GGUF",
                       member=member, offset=pos)
    return "gguf"


# --- protobuf wire format -----------------------------------------------------------------


class _PB:
    """Protobuf wire-format walker over a byte range, via read_at with a block cache."""

    def __init__(self, src: Source) -> None:
        self.src = src
        self.cache: dict[int, bytes] = {}

    def byte(self, off: int) -> int:
        blk = off >> 16
        data = self.cache.get(blk)
        if data is None:
            if len(self.cache) > 64:
                self.cache.clear()
            data = self.cache[blk] = self.src.read_at(blk << 16, 1 << 16)
        i = off - (blk << 16)
        if i >= len(data):
            raise ValueError("protobuf runs past the end")
        return data[i]

    def varint(self, off: int) -> tuple[int, int]:
        v = shift = 0
        while shift < 70:
            b = self.byte(off)
            off += 1
            v |= (b & 0x7F) << shift
            if not b & 0x80:
                return v, off
            shift += 7
        raise ValueError("varint too long")

    def fields(self, start: int, end: int) -> Iterator[tuple[int, int, int, int]]:
        """(field number, wire type, value or payload offset, payload length)."""
        off = start
        while off < end:
            key, off = self.varint(off)
            num, wire = key >> 3, key & 7
            if wire == 0:
                v, off = self.varint(off)
                yield num, 0, v, 0
            elif wire == 2:
                n, off = self.varint(off)
                if off + n > end:
                    raise ValueError("length-delimited field runs past its message")
                yield num, 2, off, n
                off += n
            elif wire == 1:
                off += 8
            elif wire == 5:
                off += 4
            else:
                raise ValueError(f"wire type {wire} not supported")
        if off != end:
            raise ValueError("message does not end on a field boundary")

    def text(self, off: int, n: int, cap: int = 65536) -> str:
        return self.src.read_at(off, min(n, cap)).decode("utf-8", "replace")


_ONNX_DOMAINS = {"", "ai.onnx", "ai.onnx.ml", "com.microsoft", "ai.onnx.training",
                 "ai.onnx.preview.training"}


def _bad_location(loc: str) -> bool:
    norm = loc.replace("\\", "/")
    return norm.startswith("/") or bool(re.match(r"^[A-Za-z]:", norm)) or \
        ".." in norm.split("/") or "\x00" in norm


def scan_onnx(ctx: ScanContext, col: Collector, src: Source, member: str | None) -> str:
    """Walk ModelProto -> graph (and subgraphs, functions) -> nodes and initializers: custom op
    domains need a native library (review); external-data locations that are absolute or
    contain '..' read files outside the release (block)."""
    if src.size > ctx.limits.max_protobuf_bytes:
        col.incomplete("onnx-size", f"{src.size:,}-byte model not walked",
                       "limit max_protobuf_bytes", member=member)
        return "onnx"
    pb = _PB(src)
    budget = [200_000]  # messages visited
    here = (member or ctx.path).rsplit("/", 1)[0] if "/" in (member or ctx.path) else ""

    def tensor(start: int, end: int) -> None:
        name, loc = "", None
        for num, wire, v, n in pb.fields(start, end):
            if num == 8 and wire == 2:
                name = pb.text(v, n)
            elif num == 13 and wire == 2:
                key = val = ""
                for k2, w2, v2, n2 in pb.fields(v, v + n):
                    if k2 == 1 and w2 == 2:
                        key = pb.text(v2, n2)
                    elif k2 == 2 and w2 == 2:
                        val = pb.text(v2, n2)
                if key == "location":
                    loc = val
        if loc is None:
            return
        if _bad_location(loc):
            col.add("block", "onnx-external-data-escape",
                    f"initializer {name!r} reads external data from {loc!r}, outside the "
                    f"release", offset=start, member=member, trick="onnx-external-data-traversal")
        elif ctx.release_files:
            target = f"{here}/{loc}" if here else loc
            if target not in ctx.release_files:
                col.add("info", "onnx-external-data-missing",
                        f"initializer {name!r}: external data file {loc!r} not in the release",
                        offset=start, member=member)

    def node(start: int, end: int, depth: int) -> None:
        op = domain = ""
        for num, wire, v, n in pb.fields(start, end):
            if num == 4 and wire == 2:
                op = pb.text(v, n)
            elif num == 7 and wire == 2:
                domain = pb.text(v, n)
            elif num == 5 and wire == 2:  # AttributeProto: subgraphs and tensors
                for k2, w2, v2, n2 in pb.fields(v, v + n):
                    if k2 in (6, 11) and w2 == 2:
                        graph(v2, v2 + n2, depth + 1)
                    elif k2 in (5, 10) and w2 == 2:
                        tensor(v2, v2 + n2)
        if domain not in _ONNX_DOMAINS:
            col.add("review", "onnx-custom-domain",
                    f"node {op!r} in custom domain {domain!r} needs a native operator library",
                    offset=start, member=member)

    def graph(start: int, end: int, depth: int) -> None:
        if depth > 16:
            raise _GGUFStop("subgraphs nested too deeply", "limit max_onnx_graph_depth")
        for num, wire, v, n in pb.fields(start, end):
            budget[0] -= 1
            if budget[0] < 0:
                raise _GGUFStop("too many protobuf messages", "limit max_onnx_messages")
            if wire != 2:
                continue
            if num == 1:
                node(v, v + n, depth)
            elif num == 5:
                tensor(v, v + n)
            elif num == 15:  # SparseTensorProto: values (1), indices (2)
                for k2, w2, v2, n2 in pb.fields(v, v + n):
                    if k2 in (1, 2) and w2 == 2:
                        tensor(v2, v2 + n2)

    try:
        for num, wire, v, n in pb.fields(0, src.size):
            if num == 7 and wire == 2:
                graph(v, v + n, 0)
            elif num == 25 and wire == 2:  # FunctionProto: node (7)
                for k2, w2, v2, n2 in pb.fields(v, v + n):
                    if k2 == 7 and w2 == 2:
                        node(v2, v2 + n2, 0)
    except _GGUFStop as stop:
        col.incomplete("onnx-walk", stop.detail, stop.limit, member=member)
    except ValueError as exc:
        col.incomplete("onnx-walk", f"not a valid ONNX protobuf: {exc}", "corrupt protobuf",
                       member=member)
    return "onnx"


# --- TensorFlow SavedModel ------------------------------------------------------------------

_TF_BLOCK = {"PyFunc", "PyFuncStateless", "EagerPyFunc", "WriteFile"}
_TF_REVIEW = {"ReadFile", "MatchingFiles", "WholeFileReader", "WholeFileReaderV2",
              "TextLineReader", "TextLineReaderV2", "FixedLengthRecordReader",
              "FixedLengthRecordReaderV2", "TFRecordReader", "TFRecordReaderV2",
              "Save", "SaveSlices", "ImmutableConst", "DeleteFile", "CreateDir",
              "WriteSummary", "WriteAudioSummary", "WriteImageSummary", "WriteScalarSummary",
              "CreateSummaryFileWriter", "DebugIdentity", "DebugIdentityV2", "PrintV2"}


def scan_savedmodel(ctx: ScanContext, col: Collector, src: Source, member: str | None) -> str:
    """SavedModel (or bare GraphDef) protobuf: op names of every node and library function.
    Python-callback and file-writing ops block; file-reading ops need review; SaveV2 /
    RestoreV2 (checkpoints) are normal."""
    if src.size > ctx.limits.max_protobuf_bytes:
        col.incomplete("savedmodel-size", f"{src.size:,}-byte graph not walked",
                       "limit max_protobuf_bytes", member=member)
        return "savedmodel-pb"
    pb = _PB(src)
    ops: dict[str, int] = {}

    def nodes(start: int, end: int) -> None:  # NodeDef: op = field 2
        for num, wire, v, n in pb.fields(start, end):
            if num == 2 and wire == 2:
                ops.setdefault(pb.text(v, n, 256), start)

    def graph_def(start: int, end: int) -> None:
        for num, wire, v, n in pb.fields(start, end):
            if num == 1 and wire == 2:
                nodes(v, v + n)
            elif num == 2 and wire == 2:  # FunctionDefLibrary.function (1) -> node_def (3)
                for k2, w2, v2, n2 in pb.fields(v, v + n):
                    if k2 == 1 and w2 == 2:
                        for k3, w3, v3, n3 in pb.fields(v2, v2 + n2):
                            if k3 == 3 and w3 == 2:
                                nodes(v3, v3 + n3)

    try:
        top = list(pb.fields(0, src.size))
        if any(num == 1 and wire == 2 for num, wire, _v, _n in top):
            graph_def(0, src.size)  # a frozen GraphDef: node is field 1
        else:
            for num, wire, v, n in top:
                if num == 2 and wire == 2:  # MetaGraphDef.graph_def = field 2
                    for k2, w2, v2, n2 in pb.fields(v, v + n):
                        if k2 == 2 and w2 == 2:
                            graph_def(v2, v2 + n2)
    except ValueError as exc:
        col.incomplete("savedmodel-walk", f"not a valid SavedModel protobuf: {exc}",
                       "corrupt protobuf", member=member)
    for op, at in sorted(ops.items()):
        if op in _TF_BLOCK:
            col.add("block", "tf-op", f"graph uses op {op} (runs Python or writes files)",
                    offset=at, member=member)
        elif op in _TF_REVIEW:
            col.add("review", "tf-op", f"graph uses op {op} (file or system access)",
                    offset=at, member=member)
    return "savedmodel-pb"


# --- Keras ----------------------------------------------------------------------------------

_DANGEROUS_MODULES = {"os", "posix", "nt", "subprocess", "builtins", "__builtin__", "sys",
                      "shutil", "socket", "importlib", "runpy", "pickle", "marshal", "ctypes",
                      "pty", "code", "codeop", "pydoc", "webbrowser", "urllib", "requests"}


def _keras_walk(cfg: Any, col: Collector, member: str | None, where: str) -> None:
    stack: list[tuple[Any, int]] = [(cfg, 0)]
    visited = 0
    while stack:
        node, depth = stack.pop()
        visited += 1
        if depth > 200 or visited > 1_000_000:
            col.incomplete("keras-config", f"{where}: config too deep or too large",
                           "limit max_keras_nodes", member=member)
            return
        if isinstance(node, list):
            stack.extend((x, depth + 1) for x in node)
            continue
        if not isinstance(node, dict):
            continue
        cls = node.get("class_name")
        mod = node.get("module")
        name = node.get("config", {}).get("name") if isinstance(node.get("config"), dict) \
            else None
        if cls == "Lambda":
            fn = node.get("config", {}).get("function") if isinstance(node.get("config"),
                                                                         dict) else None
            code = json.dumps(fn)[:200] if fn is not None else ""
            col.add("block", "keras-lambda",
                    f"{where}: Lambda layer {name!r} carries Python code that runs on load "
                    f"(safe_mode=False): {code}", member=member, trick="keras-lambda")
        if cls in ("TFSMLayer",):
            col.add("review", "keras-tfsmlayer",
                    f"{where}: TFSMLayer {name!r} loads an external SavedModel", member=member)
        if isinstance(mod, str) and mod and mod.split(".")[0] not in (
                "keras", "keras_nlp", "keras_hub", "keras_cv", "tf_keras"):
            root = mod.split(".")[0]
            col.add("block" if root in _DANGEROUS_MODULES else "review", "keras-module",
                    f"{where}: object {cls!r} from module {mod!r}, outside keras",
                    member=member, trick="keras-config-injection")
        for k in ("function", "class_name", "registered_name", "fn"):
            v = node.get(k)
            if isinstance(v, str) and "get_file" in v:
                col.add("review", "keras-get-file",
                        f"{where}: references {v!r} (downloads files)", member=member)
        stack.extend((v, depth + 1) for v in node.values() if isinstance(v, (dict, list)))


def keras_member_hook(ctx: ScanContext, col: Collector) -> Callable[[str, Source, str], bool]:
    """For a .keras zip: analyse config.json as a Keras config; model.weights.h5 is weights
    only (its layout comes from config.json), so it is not searched for a config."""

    def hook(name: str, src: Source, label: str) -> bool:
        if name == "config.json":
            if src.size > ctx.limits.max_text_bytes:
                col.incomplete("keras-config", "config.json too large",
                               "limit max_text_bytes", member=label)
                return True
            try:
                cfg = json.loads(src.read_at(0, src.size))
            except (ValueError, RecursionError):
                col.incomplete("keras-config", "config.json is not JSON", "corrupt config",
                               member=label)
                return True
            _keras_walk(cfg, col, label, "config.json")
            return True
        return name == "model.weights.h5"

    return hook


_H5_CONFIG = re.compile(rb'\{\s*"class_name"\s*:')
_H5_LAMBDA = re.compile(rb'"class_name"\s*:\s*"Lambda"')


def scan_hdf5(ctx: ScanContext, col: Collector, src: Source, member: str | None) -> str:
    """Keras .h5: the `model_config` attribute is JSON stored near the start of the file; the
    first `max_h5_scan_bytes` are searched for it (no HDF5 parser needed)."""
    cap = ctx.limits.max_h5_scan_bytes
    data = src.read_at(0, min(src.size, cap))
    has_attr = b"model_config" in data
    found = False
    for m in list(_H5_CONFIG.finditer(data))[:64]:
        try:
            cfg, _end = json.JSONDecoder().raw_decode(data[m.start():].decode("utf-8",
                                                                                "replace"))
        except (ValueError, RecursionError):
            continue
        if isinstance(cfg, dict) and "config" in cfg:
            found = True
            _keras_walk(cfg, col, member, "model_config")
    if not found and _H5_LAMBDA.search(data):
        col.add("block", "keras-lambda", "model_config names a Lambda layer (JSON not "
                "decodable, matched by pattern)", member=member, trick="keras-lambda")
        found = True
    if not found and has_attr:
        col.incomplete("h5-config", "model_config attribute present but its JSON was not "
                       f"found in the first {cap:,} bytes", "limit max_h5_scan_bytes",
                       member=member)
    elif not found and src.size > cap:
        col.add("info", "h5-no-config", f"no model_config in the first {cap:,} bytes (limit "
                f"max_h5_scan_bytes): a weights-only file", member=member)
    return "hdf5"


# --- text: JSON configs, templates ------------------------------------------------------------

_TEMPLATE_EXT = (".jinja", ".jinja2", ".j2", ".template", ".tmpl")


def _auto_map(ctx: ScanContext, col: Collector, auto_map: Any, member: str | None) -> None:
    where = member or ctx.path
    here = where.rsplit("/", 1)[0] if "/" in where else ""
    refs: list[tuple[str, str]] = []
    if isinstance(auto_map, dict):
        for k, v in auto_map.items():
            for r in (v if isinstance(v, list) else [v]):
                if isinstance(r, str):
                    refs.append((str(k), r))
    for key, ref in sorted(set(refs))[:ctx.limits.max_issues_per_kind]:
        repo, _, local = ref.rpartition("--")
        module = local.rsplit(".", 1)[0] if "." in local else local
        fname = module.replace(".", "/") + ".py"
        if repo:
            col.add("review", "remote-code-auto-map",
                    f"auto_map {key} -> {ref}: trust_remote_code fetches {fname} from "
                    f"another repo ({repo}) and runs it on load", member=member)
            continue
        target = f"{here}/{fname}" if here else fname
        present = target in ctx.release_files if ctx.release_files else None
        state = {True: "in the release", False: "missing from the release (it would be "
                 "fetched from the model repo)", None: ""}[present]
        col.add("review", "remote-code-auto-map",
                f"auto_map {key} -> {ref}: {target} is code that runs on load under "
                f"trust_remote_code {state}".rstrip(), member=member)


def _json_templates(ctx: ScanContext, col: Collector, data: Any, member: str | None) -> None:
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        node, path, depth = stack.pop()
        if depth > 64:
            col.incomplete("json-depth", "JSON nested too deeply", "limit max_json_depth",
                           member=member)
            return
        if isinstance(node, dict):
            for k, v in node.items():
                key = f"{path}.{k}" if path else str(k)
                if "chat_template" in str(k) or (str(k) == "template" and "chat_template" in path):
                    if isinstance(v, str):
                        _template_issues(ctx, col, v, key, member)
                        continue
                if isinstance(v, (dict, list)):
                    stack.append((v, key, depth + 1))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                if isinstance(v, (dict, list)):
                    stack.append((v, f"{path}[{i}]", depth + 1))


def scan_text(ctx: ScanContext, col: Collector, src: Source, member: str | None) -> str:
    """Text: JSON configs (chat_template anywhere, auto_map, Keras configs), template files
    and YAML with templates. Other text is not code a model loader runs."""
    name = (member or src.name).rsplit("/", 1)[-1].lower()
    head = src.read_at(0, 256).lstrip()
    is_json = head.startswith(b"{") or head.startswith(b"[")
    is_template = name.endswith(_TEMPLATE_EXT) or name.startswith("chat_template")
    is_yaml = name.endswith((".yaml", ".yml"))
    if not (is_json or is_template or is_yaml):
        return "text"
    if src.size > ctx.limits.max_text_bytes:
        if is_template or name in ("config.json", "tokenizer_config.json"):
            col.incomplete("text-size", f"{src.size:,}-byte file not read",
                           "limit max_text_bytes", member=member)
        return "text"
    text = src.read_at(0, src.size).decode("utf-8", "replace")
    if is_template:
        _template_issues(ctx, col, text, "template", member)
        return "text"
    if is_yaml:
        if "{{" in text or "{%" in text:
            _template_issues(ctx, col, text, "YAML", member)
        return "text"
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return "text"
    _json_templates(ctx, col, data, member)
    if isinstance(data, dict):
        if "auto_map" in data:
            _auto_map(ctx, col, data["auto_map"], member)
        if "class_name" in data and "config" in data:
            _keras_walk(data, col, member, name)
    return "text"
