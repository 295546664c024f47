"""Which MOF components a release really contains, each with evidence (DESIGN.md §2).

Files are classified by name, folder and content; code is read as text (never imported or run).
A link to a paper or a dataset is evidence that it exists elsewhere, not that it is in the release.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import PurePosixPath
from typing import Any

from trueopen.data import load_yaml
from trueopen.inspectors.card import ParsedCard
from trueopen.record import Card, Evidence, Finding, Reference
from trueopen.release import Release

CODE_READ_LIMIT = 1 << 20


@dataclass(frozen=True)
class Hit:
    """One piece of evidence for a component; `files` are the release files it rests on."""

    evidence: Evidence
    files: tuple[str, ...] = ()
    external: bool = False  # only a reference: the thing itself is not in the release
    weak: bool = False  # supports a component without showing it is present (a config without code)
    reference: Reference | None = None  # where the thing lives, for a reference


@dataclass
class Inventory:
    kinds: dict[str, str] = field(default_factory=dict)
    hits: dict[str, list[Hit]] = field(default_factory=lambda: defaultdict(list))
    findings: list[Finding] = field(default_factory=list)
    license_files: list[str] = field(default_factory=list)
    code_texts: dict[str, str] = field(default_factory=dict)  # text of code/config files, for the recipe
    # Data folders whose README says their data is for evaluation -> (README path, line, its words).
    eval_folders: dict[str, tuple[str, int, str]] = field(default_factory=dict)
    # Model cards beside the card a scope was read from (Whisper's model-card.md next to its
    # README.md): their sections count as the card's do.
    extra_cards: list[ParsedCard] = field(default_factory=list)
    # A scope's card names a base model: the release is a fine-tune, and its fine-tuning code is
    # its training code (else fine-tuning scripts and examples are tools for users: FINE_TUNING).
    fine_tune: bool = False
    # Folders holding Python modules: a README there documents code, even in a folder named data
    # (Gemma's gemma/diffusion/hackable_diffusion_adapter/data/: its loaders, not a data card).
    code_folders: frozenset[str] = frozenset()

    def add(self, component: str, path: str, detail: str, line: int | None = None, files: tuple[str, ...] | None = None,
            external: bool = False, weak: bool = False, reference: Reference | None = None) -> None:
        backing = files if files is not None else (() if external else (path,))
        self.hits[component].append(Hit(Evidence(path=path, line=line, detail=detail), backing, external, weak, reference))


class _Rules:
    """inventory.yml compiled once."""

    def __init__(self, raw: dict[str, Any]) -> None:
        c = lambda pats: re.compile("|".join(f"(?:{p})" for p in pats), re.IGNORECASE) if pats else re.compile(r"(?!x)x")
        w = raw["weights"]
        self.weight_ext = set(w["extensions"])
        self.weight_metadata = c(w["metadata_names"])
        self.not_weights = c(w["not_weights_names"])
        self.intermediate_dir = c(w["intermediate_dirs"])
        self.intermediate_name = c(w["intermediate_names"])
        self.index = c(raw["index_names"])
        self.code_ext = set(raw["code_extensions"])
        self.config_ext = set(raw["config"]["extensions"])
        self.data_ext = set(raw["data"]["extensions"])
        self.data_folder_ext = set(raw["data"]["folder_extensions"])
        self.data_dir = c(raw["data"]["dirs"])
        self.eval_dir = c(raw["eval_dirs"])
        self.eval_data_name = c(raw["eval_data_names"])
        self.eval_purpose = re.compile(raw["evaluation_purpose"], re.IGNORECASE | re.MULTILINE)
        self.train_purpose = re.compile(raw["training_purpose"], re.IGNORECASE)
        self.train_denied = re.compile(raw["training_denied"], re.IGNORECASE)
        self.purpose_head = int(raw["purpose_head_chars"])
        self.purpose_readme = re.compile(raw["purpose_readme_names"], re.IGNORECASE)
        self.training_dir = c(raw["training_dirs"])
        self.fine_tuning = re.compile(raw["fine_tuning_paths"], re.IGNORECASE)
        self.test_code = re.compile(raw["test_code_paths"], re.IGNORECASE)
        self.doc_ext = set(raw["documents"]["extensions"])
        self.roles = {role: (c(spec["names"]), [re.compile(p, re.IGNORECASE) for p in spec["content"]]) for role, spec in raw["code_roles"].items()}
        self.support = c(raw["support_names"])
        self.metadata = c(raw["metadata_names"])
        self.training_config_name = c(raw["training_config_names"])
        self.training_config_key = re.compile(raw["training_config_keys"], re.IGNORECASE | re.MULTILINE)
        self.model_card = c(raw["model_card_names"])
        self.data_card = c(raw["data_card_names"])
        self.data_card_dir = c(raw["data_card_readme_dirs"])
        self.tech_report = c(raw["technical_report_names"])
        self.paper = c(raw["research_paper_names"])
        self.eval_results = c(raw["evaluation_result_names"])
        self.sample_dir = c(raw["sample_output_dirs"])
        self.sample_name = c(raw["sample_output_names"])
        self.paper_link = c(raw["paper_links"])
        self.report_words = re.compile(raw["report_link_words"], re.IGNORECASE)
        self.sections = {k: re.compile(v, re.IGNORECASE) for k, v in raw["card_sections"].items()}
        self.data_section_min_words = int(raw["data_section_min_words"])
        self.license_file = c(raw["license_file_names"])
        self.not_document = c(raw["not_document_names"])
        self.prose_share = float(raw["prose_min_share"])
        self.prose_words = int(raw["prose_min_words"])
        self.prose_bytes = int(raw["prose_sample_bytes"])


@cache
def rules() -> _Rules:
    return _Rules(load_yaml("inventory.yml"))


def suffix(name: str) -> str:
    return PurePosixPath(name.lower()).suffix


def is_document(path: str, release: Release | None = None) -> bool:
    """A document: a card, README, report or doc a person wrote for people (inventory.yml
    `not_document_names`; plain .txt must also read as prose). Vocabularies, merges, tokenizer
    files, requirement and lock files, package records and licence files are not documents."""
    r = rules()
    p = PurePosixPath(path)
    name = p.name.lower()
    if suffix(name) not in r.doc_ext or r.not_document.search(name) or is_license_file(path):
        return False
    if suffix(name) != ".txt" or release is None:
        return True
    try:
        head = release.read_at(path, 0, r.prose_bytes)
    except OSError:
        return False
    lines = [ln for ln in head.decode("utf-8", "replace").splitlines() if ln.strip()]
    if not lines:
        return False
    prose = sum(1 for ln in lines if len(ln.split()) >= r.prose_words)
    return prose / len(lines) >= r.prose_share


LICENSE_DIRS = re.compile(r"^(?:licen[cs]es|(?:model|weights?)[-_ ]?licen[cs]es)$", re.IGNORECASE)


def is_license_file(path: str) -> bool:
    """A file whose name says it holds licence terms (LICENSE, NOTICE, USE_POLICY, MODEL_LICENSE...),
    or any text in a licence folder (REUSE's LICENSES/Apache-2.0.txt, model_licenses/...)."""
    p = PurePosixPath(path)
    if rules().license_file.search(p.name):
        return True
    return bool(LICENSE_DIRS.match(p.parent.name)) and suffix(p.name) in ("", ".txt", ".md", ".rst")


_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n.*?^---[ \t]*$\r?\n?", re.DOTALL | re.MULTILINE)


def evaluation_statement(text: str) -> tuple[int, str] | None:
    """(line, words) where a document's opening (after any front matter) says that its folder or
    data is for evaluation; None when it does not, or when the opening speaks of training in any
    way (inventory.yml `evaluation_purpose`, `training_purpose`)."""
    r = rules()
    fm = _FRONT_MATTER.match(text)
    skipped = fm.end() if fm and fm.end() <= 4 * r.purpose_head else 0
    head = text[skipped:skipped + r.purpose_head]
    cut = head.rfind("\n") if len(head) == r.purpose_head else -1
    head = head[:cut] if cut > 0 else head  # whole lines only: a cut word is no word
    m = r.eval_purpose.search(head)
    if m is None or r.train_purpose.search(r.train_denied.sub(" ", head)):
        return None
    start = head.rfind("\n", 0, m.start()) + 1
    end = head.find("\n", m.end())
    words = " ".join(head[start:end if end >= 0 else len(head)].split())
    return text.count("\n", 0, skipped) + head.count("\n", 0, m.start()) + 1, words[:160]


def _evaluation_folders(release: Release, r: _Rules) -> dict[str, tuple[str, int, str]]:
    """Data folders whose README opens by saying the data is for evaluation (inventory.yml
    `evaluation_purpose`), each with that statement."""
    out: dict[str, tuple[str, int, str]] = {}
    for f in release.files:
        p = PurePosixPath(f.path)
        if len(p.parts) < 2 or not r.purpose_readme.match(p.name) or not r.data_dir.search(p.parent.name) \
                or str(p.parent) in out:
            continue
        try:
            head = release.read_at(f.path, 0, 4 * r.purpose_head).decode("utf-8", "replace")
        except OSError:
            continue
        found = evaluation_statement(head)
        if found is not None:
            out[str(p.parent)] = (f.path, *found)
    return out


def _in_eval_folder(path: str, inv: Inventory) -> bool:
    """Whether `path` is in a data folder whose README says its data is for evaluation."""
    return bool(inv.eval_folders) and _in_folders(path, inv.eval_folders) is not None


def _in_folders(path: str, folders: dict[str, Any]) -> str | None:
    """The innermost of `folders` that holds `path`, unless a folder between them is named as
    training data (data/train/ under an evaluation data/ stays training data)."""
    r = rules()
    for parent in PurePosixPath(path).parents:
        if str(parent) in folders:
            return str(parent)
        if r.training_dir.search(parent.name):
            return None
    return None


def take_inventory(release: Release, card: ParsedCard, cards: list[ParsedCard] | None = None,
                   scope_roots: tuple[str, ...] = ("",)) -> Inventory:
    """Classify every file and collect evidence for each component: what is here, and what the
    release only references (inspectors/references.py). `cards` are the cards of every scope
    (nested model folders, `--with` locations); `card` alone when there is one scope."""
    from trueopen.inspectors.references import find_references

    r = rules()
    inv = Inventory()
    inv.eval_folders = _evaluation_folders(release, r)
    base = frozenset(b for c in (cards or [card]) for b in c.card.base_model)
    inv.fine_tune = bool(base)
    inv.code_folders = frozenset(str(PurePosixPath(f.path).parent) for f in release.files if f.path.endswith(".py"))
    card_paths = {c.card.path for c in (cards or [card]) if c.card.path}
    for f in release.files:
        p = PurePosixPath(f.path)
        name, ext, dirs = p.name.lower(), suffix(p.name), [d.lower() for d in p.parts[:-1]]
        kind = "card" if f.path in card_paths else _classify(release, f.path, f.size, name, ext, dirs, inv, r)
        inv.kinds[f.path] = kind
    inv.extra_cards = _extra_cards(release, card_paths, scope_roots)
    for c in cards or [card]:
        _card_evidence(c, inv, r)
    for c in inv.extra_cards:
        _card_evidence(c, inv, r, extra=True)
    _readme_links(release, card, inv, r, scope_roots)
    for found in find_references(release, inv.code_texts, base, lambda path: _in_eval_folder(path, inv)):
        ref = found.ref
        where = f"{ref.target}" if ref.kind != "url" or len(ref.target) < 120 else ref.target[:117] + "..."
        how = f"; add it with --with {ref.add_with} to verify" if ref.add_with else ""
        inv.add(found.component, ref.path, f"{_REF_WORD.get(found.component, found.component)} referenced ({ref.kind}): {where} "
                f"(not in this release{how})", ref.line, external=True, reference=ref)
    _report_as_paper(inv)
    return inv


_REF_WORD = {"model-parameters-final": "weights", "model-parameters-intermediate": "intermediate checkpoints",
             "datasets": "training data", "evaluation-data": "evaluation data"}


def _report_as_paper(inv: Inventory) -> None:
    """MOT lets a detailed technical report be entered as the research paper; only a report
    that is in the release stands in (a link proves neither content nor licence)."""
    if any(not h.weak for h in inv.hits.get("research-paper", [])):
        return
    for hit in inv.hits.get("technical-report", []):
        if not hit.external and not hit.weak:
            inv.add("research-paper", hit.evidence.path, "the technical report in the release stands in for the research paper (MOT rule)",
                    files=hit.files)


def _classify(release: Release, path: str, size: int, name: str, ext: str, dirs: list[str], inv: Inventory, r: _Rules) -> str:
    in_eval = any(r.eval_dir.search(d) for d in dirs) or _in_eval_folder(path, inv)
    in_data = any(r.data_dir.search(d) for d in dirs)
    in_samples = any(r.sample_dir.search(d) for d in dirs)
    if is_license_file(path) and ext not in r.code_ext:
        inv.license_files.append(path)
        return "license"
    if r.index.search(name) and "safetensors" in name or name.endswith((".bin.index.json", ".pt.index.json")):
        inv.add("model-parameters-final", path, "index of sharded weights")
        return "weights-index"
    if ext in r.weight_ext and not r.not_weights.search(name):
        return _weights(release, path, size, name, ext, dirs, inv, r)
    if r.weight_metadata.search(name):
        inv.add("model-metadata", path, "training state saved with the model")
        return "metadata"
    if name in ("readme.md", "model_card.md", "modelcard.md") and not dirs:
        return "card"  # evidence comes from the parsed card
    if in_samples or r.sample_name.search(name):
        if ext not in r.code_ext:
            inv.add("sample-model-outputs", path, "sample model outputs")
            return "sample-output"
    if r.eval_results.search(name) and ext not in r.code_ext:
        inv.add("evaluation-results", path, "evaluation results file")
        return "results"
    if ext in r.code_ext:
        _code(release, path, name, inv, r)
        return "code"
    if r.support.search(name):
        inv.add("supporting-libraries-and-tools", path, "dependency or packaging manifest")
        return "manifest"
    if r.metadata.search(name) and name != "config.json":
        inv.add("model-metadata", path, "model metadata")
        if ext in r.config_ext and (text := _text(release, path, inv)) is not None:
            inv.code_texts[path] = text  # trainer arguments hold the recipe
        return "config" if ext in r.config_ext else "metadata"
    if ext in r.data_ext or ((in_data or in_eval) and ext in r.data_folder_ext and not (ext in r.doc_ext and r.data_card.search(name))):
        if name.startswith("readme"):
            pass
        elif in_eval or (r.eval_data_name.search(name) and not in_data):
            inv.add("evaluation-data", path, "evaluation data file")
            return "data"
        else:
            inv.add("datasets", path, "data file in the release")
            return "data"
    if r.metadata.search(name):
        inv.add("model-metadata", path, "model configuration" if name == "config.json" else "model metadata")
        if name == "config.json":
            _config_architecture(release, path, inv)
        return "config"
    if ext in r.config_ext:
        text = _text(release, path, inv)
        if text is not None and not r.not_weights.search(name):  # tokenizer files hold no recipe
            inv.code_texts[path] = text
        if text is not None and r.training_config_name.search(name) and r.training_config_key.search(text):
            line = _line_of(r.training_config_key, text)
            inv.add("model-metadata", path, "training configuration", line)
            inv.add("training-code", path, "training configuration (supports the training code; not code itself)", line, weak=True)
        return "config"
    if ext in r.doc_ext:
        return _document(path, name, dirs, inv, r)
    return "other"


def _extra_cards(release: Release, card_paths: set[str], scope_roots: tuple[str, ...]) -> list[ParsedCard]:
    """Model cards by name (model-card.md, MODEL_CARD.md) at a scope's root that are not the card
    the scope was read from, as cards without front matter."""
    r = rules()
    out = []
    for path in sorted(f.path for f in release.files):
        p = PurePosixPath(path)
        parent = str(p.parent) if str(p.parent) != "." else ""
        if path in card_paths or parent not in scope_roots or not r.model_card.search(p.name.lower()) \
                or p.name.lower() == "readme.md":
            continue
        text = release.read_text(path).text
        if text:
            out.append(ParsedCard(Card(path=path), text=text))
    return out


def _evaluation_readme(path: str, inv: Inventory) -> bool:
    """A data folder's README that says its data is for evaluation: evidence of evaluation data
    (weak: a description, not the data), never a data card of training data."""
    folder = str(PurePosixPath(path).parent)
    said = inv.eval_folders.get(folder)
    if said is None or said[0] != path:
        return False
    inv.add("evaluation-data", path, f"describes evaluation data: {said[2]!r}", said[1], weak=True)
    return True


def _weights(release: Release, path: str, size: int, name: str, ext: str, dirs: list[str], inv: Inventory, r: _Rules) -> str:
    if size == 0:
        inv.findings.append(Finding(rule="empty-weights", severity="warn", message=f"{path}: weights file is empty (0 bytes); not counted as parameters",
                                    evidence=[Evidence(path=path, detail="0 bytes")]))
        return "weights-empty"
    intermediate = any(r.intermediate_dir.search(d) for d in dirs) or bool(r.intermediate_name.search(PurePosixPath(name).stem))
    if intermediate:
        inv.add("model-parameters-intermediate", path, "intermediate checkpoint")
        return "weights-intermediate"
    detail = "adapter weights (final)" if name.startswith("adapter_") else "final weights"
    inv.add("model-parameters-final", path, f"{detail} ({ext.lstrip('.')})")
    return "weights"


def _code(release: Release, path: str, name: str, inv: Inventory, r: _Rules) -> None:
    text = _text(release, path, inv)
    if text is None:
        return
    inv.code_texts[path] = text
    lines = text.splitlines()
    code_lines = sum(1 for ln in lines if ln.strip() and not ln.lstrip().startswith(("#", "//")))
    matched = False
    # Tests, and fine-tuning scripts and examples in a base model's release (inventory.yml
    # test_code_paths, fine_tuning_paths): not the code that made the released model.
    testing = bool(r.test_code.search(path))
    tuning = not testing and not inv.fine_tune and bool(r.fine_tuning.search(path))
    for role, (name_re, content_res) in r.roles.items():
        weak = (testing or tuning) and role in FINE_TUNING_ROLES
        kind = "test code" if testing else "fine-tuning code or an example"
        why = f"{kind}, not the code that made the released model: {_role_word(role)}" if weak else _role_word(role)
        hit_line, hit_pat = _first_match(lines, content_res)
        if hit_line is not None:
            inv.add(role, path, f"{why}: line matches {hit_pat!r}", hit_line, weak=weak)
            matched = matched or not weak
        elif name_re.search(name) and code_lines >= 3:
            inv.add(role, path, f"{why}: named {PurePosixPath(path).name!r}", weak=weak)
            matched = matched or not weak
    if not matched and code_lines >= 3:
        inv.add("supporting-libraries-and-tools", path, "test code" if testing else
                "fine-tuning code or an example for users of the model" if tuning else "other source code in the release")


FINE_TUNING_ROLES = frozenset({"training-code", "data-preprocessing-code"})


def _role_word(role: str) -> str:
    return role.replace("-", " ")


def _first_match(lines: list[str], patterns: list[re.Pattern[str]]) -> tuple[int | None, str]:
    for i, line in enumerate(lines, start=1):
        for pat in patterns:
            if pat.search(line):
                return i, pat.pattern
    return None, ""


def _line_of(pattern: re.Pattern[str], text: str) -> int | None:
    m = pattern.search(text)
    return text.count("\n", 0, m.start()) + 1 if m else None


def _text(release: Release, path: str, inv: Inventory) -> str | None:
    read = release.read_text(path, CODE_READ_LIMIT)
    if read.text is None and read.error and read.error != "binary":
        inv.findings.append(Finding(rule="unreadable-file", severity="warn", message=f"{path}: {read.error}",
                                    evidence=[Evidence(path=path, detail=read.error)]))
    return read.text


def _config_architecture(release: Release, path: str, inv: Inventory) -> None:
    """config.json naming `architectures` or `model_type` describes the architecture."""
    text = _text(release, path, inv)
    if text is None:
        return
    inv.code_texts[path] = text
    try:
        data = json.loads(text)
    except ValueError as exc:
        inv.findings.append(Finding(rule="invalid-config", severity="warn", message=f"{path}: not valid JSON ({exc.msg})",
                                    evidence=[Evidence(path=path, line=exc.lineno, detail=exc.msg)]))
        return
    if not isinstance(data, dict):
        return
    archs = data.get("architectures")
    mtype = data.get("model_type")
    if archs or mtype:
        key = "architectures" if archs else "model_type"
        line = next((i for i, ln in enumerate(text.splitlines(), 1) if f'"{key}"' in ln), None)
        value = ", ".join(map(str, archs)) if isinstance(archs, list) else str(archs or mtype)
        inv.add("model-architecture", path, f"architecture declared in config.json: {value}", line)
    if isinstance(data.get("auto_map"), dict):
        line = next((i for i, ln in enumerate(text.splitlines(), 1) if '"auto_map"' in ln), None)
        inv.add("model-architecture", path, "auto_map names modelling code shipped in the release", line)


def _document(path: str, name: str, dirs: list[str], inv: Inventory, r: _Rules) -> str:
    if inv.eval_folders and _evaluation_readme(path, inv):
        return "document"
    if r.data_card.search(name) or (name.startswith("readme") and dirs and r.data_card_dir.search(dirs[-1])
                                    and str(PurePosixPath(path).parent) not in inv.code_folders):
        inv.add("data-card", path, "data card / datasheet")
        return "document"
    if r.tech_report.search(name):
        inv.add("technical-report", path, "technical report in the release")
        return "document"
    if r.paper.search(name) or (name.endswith(".pdf") and not dirs) or (name.endswith(".pdf") and dirs and dirs[0] in ("docs", "doc", "paper", "papers")):
        inv.add("research-paper", path, "paper in the release")
        return "document"
    if r.model_card.search(name) and not dirs:
        return "card"
    return "document"


def _card_evidence(card: ParsedCard, inv: Inventory, r: _Rules, extra: bool = False) -> None:
    """What the card itself contributes: model card, data card section, results, dataset references.
    An `extra` card (beside the one the scope was read from) adds no finding when it is thin."""
    if card.card.path is None or card.text == "":
        return
    path = card.card.path
    words = len(card.text.split())
    if words >= 20:
        inv.add("model-card", path, f"model card ({words} words)")
    elif not extra:
        inv.findings.append(Finding(rule="thin-card", severity="info", message=f"{path}: the model card has only {words} words; not counted as a model card",
                                    evidence=[Evidence(path=path, detail=f"{words} words")]))
    meta = card.metadata
    if isinstance(meta.get("model-index"), list) and _has_results(meta["model-index"]):
        line = _yaml_key_line(card.text, "model-index")
        inv.add("evaluation-results", path, "model-index results in the card metadata", line)
    for dataset in card.card.datasets:
        line = _yaml_key_line(card.text, "datasets")
        inv.add("datasets", path, f"dataset referenced in the card: {dataset} (not in this release)", line, external=True,
                reference=Reference(kind="hub-dataset", target=dataset, path=path, line=line,
                                    add_with=f"hf://datasets/{dataset}" if "/" in dataset else None))
    for tag in card.card.tags:
        if tag.lower().startswith("arxiv:"):
            line = _yaml_line_containing(card.text, tag)
            inv.add("research-paper", path, f"paper referenced by card tag {tag}", line, external=True,
                    reference=Reference(kind="paper", target=tag, path=path, line=line))
    for heading, line, body in _sections(card.text):
        if r.sections["data-card"].search(heading):
            n = len(body.split())
            if n >= r.data_section_min_words:
                inv.add("data-card", path, f"data information in the model card, section {heading!r} ({n} words)", line, files=(path,))
        if r.sections["evaluation-results"].search(heading) and re.search(r"^\s*\|.*\d.*\|\s*$", body, re.MULTILINE):
            inv.add("evaluation-results", path, f"results table in the model card, section {heading!r}", line, files=(path,))


def _readme_links(release: Release, card: ParsedCard, inv: Inventory, r: _Rules, scope_roots: tuple[str, ...] = ("",)) -> None:
    """Paper and report links in the Markdown files of each scope root: documents that exist
    outside the release."""
    for f in release.files:
        parent = PurePosixPath(f.path).parent.as_posix()
        if ("" if parent == "." else parent) not in scope_roots or not f.path.lower().endswith((".md", ".markdown", ".rst", ".txt")) \
                or inv.kinds.get(f.path) == "license" or not is_document(f.path, release):
            continue
        text = card.text if f.path == card.card.path else release.read_text(f.path).text
        if not text:
            continue
        seen: set[str] = set()
        for number, line in enumerate(text.splitlines(), start=1):
            for m in r.paper_link.finditer(line):
                link = m.group(0)
                if link in seen:
                    continue
                seen.add(link)
                component = "technical-report" if r.report_words.search(line) else "research-paper"
                inv.add(component, f.path, f"link to {link} (document outside the release; licence not verified)", number, external=True,
                        reference=Reference(kind="paper", target=link, path=f.path, line=number))


def _has_results(model_index: list[Any]) -> bool:
    for entry in model_index:
        if isinstance(entry, dict):
            for res in entry.get("results") or []:
                if isinstance(res, dict) and res.get("metrics"):
                    return True
    return False


def _yaml_key_line(text: str, key: str) -> int | None:
    m = re.search(rf"^{re.escape(key)}\s*:", text, re.MULTILINE)
    return text.count("\n", 0, m.start()) + 1 if m else None


def _yaml_line_containing(text: str, needle: str) -> int | None:
    idx = text.find(needle)
    return text.count("\n", 0, idx) + 1 if idx >= 0 else None


def _sections(text: str) -> list[tuple[str, int, str]]:
    """(heading, line, body) for each Markdown heading outside code blocks; the body runs to the
    next heading of the same or a higher level, so it includes its sub-sections."""
    lines = text.splitlines()
    heads: list[tuple[int, int, str]] = []  # (index, level, title)
    in_code = False
    for i, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            in_code = not in_code
            continue
        m = None if in_code else re.match(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if m:
            heads.append((i, len(m.group(1)), m.group(2)))
    out = []
    for k, (i, level, title) in enumerate(heads):
        end = next((j for j, lv, _ in heads[k + 1 :] if lv <= level), len(lines))
        out.append((title, i + 1, "\n".join(lines[i + 1 : end])))
    return out
