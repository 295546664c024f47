"""A seeded test set for disguised-copy detection: synthetic news-like articles on a few topics,
their spun copies (content words swapped through a synonym table), light paraphrases (a few words
changed, two sentences swapped, one dropped) and unrelated articles on the same topics.

Articles come from a small grammar with optional parts, so two articles on one topic share the
vocabulary but not the sentence structure, as two reporters' articles would. Used by
tests/datasets/test_spun.py and benchmarks/data.py."""

from __future__ import annotations

import random
from dataclasses import dataclass

TOPICS = {
    "council": {
        "n": ["council", "budget", "library", "mayor", "road", "tax", "school", "park", "committee", "plan", "vote",
              "district", "bridge", "report", "resident"],
        "v": ["approved", "rejected", "delayed", "debated", "funded", "reviewed", "proposed", "announced", "cut",
              "expanded"],
        "a": ["new", "local", "annual", "controversial", "public", "small", "costly", "modest", "final", "early"],
        "name": ["Springfield", "Mayor Alvarez", "the finance office", "Northside", "Riverton"],
    },
    "football": {
        "n": ["team", "coach", "match", "goal", "striker", "season", "league", "fan", "stadium", "defender", "injury",
              "transfer", "title", "referee", "captain"],
        "v": ["won", "lost", "scored", "missed", "signed", "praised", "criticised", "dominated", "secured", "ended"],
        "a": ["young", "famous", "late", "decisive", "strong", "weak", "brilliant", "tense", "dramatic", "home"],
        "name": ["United", "the Rovers", "Coach Brandt", "City", "the visitors"],
    },
    "technology": {
        "n": ["phone", "company", "battery", "screen", "app", "update", "chip", "price", "market", "user", "feature",
              "camera", "launch", "developer", "device"],
        "v": ["released", "improved", "unveiled", "replaced", "tested", "shipped", "priced", "marketed", "upgraded",
              "recalled"],
        "a": ["latest", "cheap", "powerful", "fast", "thin", "expensive", "popular", "reliable", "bright", "compact"],
        "name": ["Nimbus", "the startup", "Orbitel", "the manufacturer", "Lumen"],
    },
}

SYNONYMS = {
    "council": "assembly", "budget": "spending plan", "library": "reading room", "mayor": "city leader",
    "road": "street", "tax": "levy", "school": "academy", "park": "green space", "committee": "panel",
    "plan": "scheme", "vote": "ballot", "district": "ward", "bridge": "overpass", "report": "study",
    "resident": "citizen", "approved": "endorsed", "rejected": "turned down", "delayed": "postponed",
    "debated": "discussed", "funded": "financed", "reviewed": "examined", "proposed": "suggested",
    "announced": "declared", "cut": "reduced", "expanded": "enlarged", "new": "fresh", "local": "regional",
    "annual": "yearly", "controversial": "disputed", "public": "civic", "small": "little", "costly": "pricey",
    "modest": "moderate", "final": "last", "early": "initial", "team": "squad", "coach": "manager",
    "match": "game", "goal": "strike", "striker": "forward", "season": "campaign", "league": "division",
    "fan": "supporter", "stadium": "arena", "defender": "fullback", "injury": "knock", "transfer": "signing",
    "title": "trophy", "referee": "official", "captain": "skipper", "won": "triumphed", "lost": "fell",
    "scored": "netted", "missed": "squandered", "signed": "recruited", "praised": "lauded",
    "criticised": "slammed", "dominated": "controlled", "secured": "clinched", "ended": "finished",
    "young": "youthful", "famous": "renowned", "late": "dying", "decisive": "crucial", "strong": "robust",
    "weak": "feeble", "brilliant": "superb", "tense": "nervy", "dramatic": "thrilling", "home": "domestic",
    "phone": "handset", "company": "firm", "battery": "cell", "screen": "display", "app": "application",
    "update": "patch", "chip": "processor", "price": "cost", "market": "sector", "user": "customer",
    "feature": "function", "camera": "lens", "launch": "debut", "developer": "programmer", "device": "gadget",
    "latest": "newest", "cheap": "affordable", "powerful": "mighty", "fast": "quick", "thin": "slim",
    "expensive": "dear", "popular": "well liked", "reliable": "dependable", "bright": "vivid", "compact": "small",
}

DET = ["the", "a", "this", "their", "its", "every", "some", "another"]
PREP = ["in", "on", "after", "before", "during", "with", "without", "under", "over", "for", "against", "through",
        "despite", "near"]
CONJ = ["and", "but", "while", "because", "although", "so", "since", "whereas"]
AUX = ["was", "had been", "has been", "will be", "would be", "could be", "might be"]
ADV = ["very", "quite", "still", "already", "never", "rather", "soon", "often", "also", "only"]
PRON = ["it", "they", "she", "he", "we", "nobody", "everyone"]


def _np(r: random.Random, t: dict) -> str:
    kind = r.random()
    if kind < 0.15:
        return r.choice(t["name"])
    adj = f"{r.choice(t['a'])} " if r.random() < 0.5 else ""
    head = f"{r.choice(DET)} {adj}{r.choice(t['n'])}"
    if kind < 0.35:
        return f"{head} of {r.choice(DET)} {r.choice(t['n'])}"
    if kind < 0.45:
        return f"{head} {r.choice(['that', 'which'])} {r.choice(AUX)} {r.choice(t['v'])}"
    return head


def _clause(r: random.Random, t: dict) -> str:
    subject = r.choice(PRON) if r.random() < 0.2 else _np(r, t)
    form = r.random()
    if form < 0.4:
        verb = f"{r.choice(t['v'])} {_np(r, t)}"
    elif form < 0.65:
        verb = f"{r.choice(AUX)} {r.choice(ADV)} {r.choice(t['v'])}"
    elif form < 0.85:
        verb = f"{r.choice(t['v'])} {_np(r, t)} {r.choice(PREP)} {_np(r, t)}"
    else:
        verb = f"{r.choice(['said', 'claimed', 'reported'])} that {_np(r, t)} {r.choice(t['v'])} {_np(r, t)}"
    return f"{subject} {verb}"


def sentence(r: random.Random, t: dict) -> str:
    parts = []
    if r.random() < 0.3:
        parts.append(f"{r.choice(PREP)} {_np(r, t)},")
    parts.append(_clause(r, t))
    if r.random() < 0.3:
        parts.append(f"{r.choice(PREP)} {r.randint(2, 90)} {r.choice(t['n'])}s")
    if r.random() < 0.4:
        parts.append(f", {r.choice(CONJ)} {_clause(r, t)}")
    text = " ".join(parts).replace(" ,", ",")
    return text[0].upper() + text[1:] + r.choice([".", ".", ".", "!", "?"]) if text else text


def article(r: random.Random, topic: str, sentences: tuple[int, int] = (6, 11)) -> list[str]:
    t = TOPICS[topic]
    return [sentence(r, t) for _ in range(r.randint(*sentences))]


def spin(r: random.Random, sentences: list[str], share: float = 0.9) -> list[str]:
    """Swap most content words for their synonyms (the way article spinners work)."""
    out = []
    for s in sentences:
        words = s.split(" ")
        for i, w in enumerate(words):
            core = w.rstrip(".,!?").lower()
            if core in SYNONYMS and r.random() < share:
                tail = w[len(w.rstrip(".,!?")):]
                rep = SYNONYMS[core]
                words[i] = (rep[0].upper() + rep[1:] if w[0].isupper() else rep) + tail
        out.append(" ".join(words))
    return out


def paraphrase(r: random.Random, sentences: list[str]) -> list[str]:
    """A light rewrite: three words swapped for synonyms, two sentences swapped, one dropped."""
    out = spin(r, sentences, share=0.0)
    words = [(i, j) for i, s in enumerate(out) for j, w in enumerate(s.split(" ")) if w.rstrip(".,!?").lower() in SYNONYMS]
    # right to left in each sentence, so a two-word synonym does not move the words still to change
    for i, j in sorted(r.sample(words, min(3, len(words))), key=lambda ij: (ij[0], -ij[1])):
        ws = out[i].split(" ")
        core = ws[j].rstrip(".,!?")
        ws[j] = SYNONYMS[core.lower()] + ws[j][len(core):]
        out[i] = " ".join(ws)
    if len(out) > 3:
        k = r.randrange(len(out) - 1)
        out[k], out[k + 1] = out[k + 1], out[k]
        del out[r.randrange(len(out))]
    return out


@dataclass(frozen=True)
class Doc:
    name: str
    text: str
    family: str  # documents of one family are copies of each other
    kind: str  # original | spun | paraphrase | unrelated


def corpus(seed: int, families: int, unrelated: int) -> list[Doc]:
    """`families` originals each with a spun copy and a paraphrase, plus unrelated articles; shuffled."""
    r = random.Random(seed)
    docs: list[Doc] = []
    topics = sorted(TOPICS)
    for f in range(families):
        topic = topics[f % len(topics)]
        original = article(r, topic)
        docs.append(Doc(f"f{f}-original", " ".join(original), f"f{f}", "original"))
        docs.append(Doc(f"f{f}-spun", " ".join(spin(r, original)), f"f{f}", "spun"))
        docs.append(Doc(f"f{f}-paraphrase", " ".join(paraphrase(r, original)), f"f{f}", "paraphrase"))
    for u in range(unrelated):
        docs.append(Doc(f"u{u}", " ".join(article(r, topics[u % len(topics)])), f"u{u}", "unrelated"))
    r.shuffle(docs)
    return docs


def score(docs: list[Doc], found: set[frozenset[str]]) -> dict[str, float]:
    """Precision over the pairs found; recall of the spun copies and of the paraphrases (each
    against its original)."""
    family = {d.name: d.family for d in docs}
    true = {p for p in found if len({family[n] for n in p}) == 1}
    originals = {d.family: d.name for d in docs if d.kind == "original"}
    out = {"pairs": float(len(found)), "precision": len(true) / len(found) if found else 1.0}
    for kind in ("spun", "paraphrase"):
        wanted = [frozenset((originals[d.family], d.name)) for d in docs if d.kind == kind]
        out[f"recall_{kind}"] = sum(1 for p in wanted if p in found) / len(wanted) if wanted else 1.0
    return out
