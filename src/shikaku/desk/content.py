"""FAQ knowledge base: load ``content/faq/<lang>.yaml``, check it, fill its placeholders.

One file per language. ``ja.yaml`` is the source; every other file is a translation whose
entries carry ``review.source_hash``, the hash of the Japanese question and answer they were
translated from (:func:`source_hash`). When the Japanese text changes, the hash no longer
matches and the content check reports the translation as stale until someone re-translates or
re-reviews it and updates the hash (``shikaku desk content-hash``).

The schema is documented in docs/desk.md. Every problem found is a :class:`ContentIssue` that
names the file, the entry id and the field, so an editor can find it without reading code.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "CATEGORIES",
    "JA_STATES",
    "PLACEHOLDERS",
    "TRANSLATION_STATES",
    "ContentError",
    "ContentIssue",
    "Entry",
    "FaqBase",
    "LanguageFile",
    "check_content",
    "default_content_dir",
    "load_content",
    "load_language_file",
    "placeholders_in",
    "render_text",
    "source_hash",
    "stamp_source_hash",
]

log = logging.getLogger(__name__)

# The C loader is several times faster; both are "safe" (no arbitrary Python objects).
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

SOURCE_LANG = "ja"

#: Category id -> (Japanese label, English label). Entries must use one of these ids.
CATEGORIES: dict[str, tuple[str, str]] = {
    "transition": ("保険証の廃止と移行", "End of the health insurance card"),
    "myna-card": ("マイナ保険証", "My Number insurance card"),
    "certificate": ("資格確認書", "Eligibility certificate"),
    "membership": ("家族・退職・年齢", "Family, leaving, age"),
    "notice": ("資格情報のお知らせ", "Notice of eligibility information"),
    "e-certificate": ("電子証明書の有効期限", "Electronic certificate expiry"),
    "smartphone": ("スマホ保険証", "Smartphone insurance card"),
    "privacy": ("安全・個人情報", "Safety and privacy"),
    "employer": ("事業主の方へ", "For employers"),
    "desk": ("お問い合わせ", "Contacting us"),
}

#: Placeholders an entry may use, with what fills them (see :func:`placeholder_values`).
PLACEHOLDERS: dict[str, str] = {
    "legacy_last_day": "last day the legacy health insurance card can be used (policy)",
    "legacy_unusable_from": "first day the legacy card is unusable (legacy_last_day + 1)",
    "provisional_last_day": "end of the provisional handling (policy)",
    "grace_months": "months a Myna insurance card keeps working after its e-certificate "
    "expired, counted from the end of the month of expiry (policy)",
    "call_center_phone": "the insurer's call-center number (desk settings)",
    "myna_free_dial": "national My Number free dial, Japanese (desk settings)",
    "myna_free_dial_foreign": "national My Number free dial, foreign languages (desk settings)",
    "foreign_language_count": "number of languages other than Japanese the desk serves",
}

#: Review states. Japanese is the source: ``draft`` until the insurer approves it.
JA_STATES = frozenset({"draft", "approved"})
#: ``machine-draft``: written by machine or by a non-native writer, needs native review.
#: ``reviewed``: checked by a fluent staff member. ``native-reviewed``: by a native speaker or
#: professional translator.
TRANSLATION_STATES = frozenset({"machine-draft", "reviewed", "native-reviewed"})

_ENTRY_KEYS = frozenset({"id", "category", "question", "answer", "review", "keywords", "rank"})
_REVIEW_KEYS = frozenset({"state", "source_hash", "reviewer", "date", "note"})
_FILE_KEYS = frozenset({"lang", "language_name", "entries"})
_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# A placeholder, an escaped brace, or a lone brace (which is an error).
_BRACE_RE = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class ContentIssue:
    """One problem in the content: where it is and what is wrong."""

    file: str
    entry_id: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.entry_id is not None:
            where += f": entry '{self.entry_id}'"
        if self.field is not None:
            where += f" field '{self.field}'"
        return f"{where}: {self.message}"


class ContentError(ValueError):
    """The content has problems; ``issues`` lists each with file, entry id and field."""

    def __init__(self, issues: Sequence[ContentIssue]) -> None:
        self.issues = list(issues)
        head = "; ".join(str(i) for i in self.issues[:5])
        more = f" (+{len(self.issues) - 5} more)" if len(self.issues) > 5 else ""
        super().__init__(f"{len(self.issues)} content problem(s): {head}{more}")


@dataclass(frozen=True, slots=True)
class Entry:
    """One question and its answer in one language, text as stored (placeholders unfilled)."""

    id: str
    lang: str
    category: str
    question: str
    answer: str
    keywords: tuple[str, ...] = ()
    rank: int | None = None
    review_state: str = "draft"
    source_hash: str | None = None


@dataclass(slots=True)
class LanguageFile:
    """A parsed language file and the problems found while reading it."""

    path: Path
    lang: str
    language_name: str
    entries: dict[str, Entry] = field(default_factory=dict)
    issues: list[ContentIssue] = field(default_factory=list)


def default_content_dir() -> Path:
    """Where the FAQ files are: ``$SHIKAKU_CONTENT_DIR``, the source tree, or ``./content/faq``."""
    env = os.environ.get("SHIKAKU_CONTENT_DIR")
    if env:
        return Path(env)
    # src/shikaku/desk/content.py -> repository root is three levels above the package.
    repo = Path(__file__).resolve().parents[3] / "content" / "faq"
    if repo.is_dir():
        return repo
    return Path.cwd() / "content" / "faq"


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n")).strip()


def source_hash(question: str, answer: str) -> str:
    """Hash of a Japanese question and answer, as recorded in a translation's review block.

    Text is NFC-normalised and stripped first, so re-wrapping a YAML block or saving it with
    Windows line ends does not make every translation stale; any change of wording does.
    """
    payload = f"Q:{_nfc(question)}\nA:{_nfc(answer)}".encode()
    return hashlib.sha256(payload).hexdigest()[:16]


def placeholders_in(text: str) -> tuple[set[str], list[str]]:
    """Names of the placeholders in *text*, and a list of brace problems found.

    ``{{`` and ``}}`` are literal braces. ``{name}`` is a placeholder. Anything else with a
    brace (``{``, ``}``, ``{ name}``, ``{Name}``, ``{}``) is reported as broken.
    """
    names: set[str] = set()
    problems: list[str] = []
    for m in _BRACE_RE.finditer(text):
        token = m.group(0)
        if token in ("{{", "}}"):
            continue
        inner = m.group(1)
        if inner is None:
            problems.append(f"unbalanced brace {token!r} at offset {m.start()}")
        elif not _NAME_RE.match(inner):
            problems.append(f"broken placeholder {token!r} at offset {m.start()}")
        else:
            names.add(inner)
    return names, problems


def render_text(text: str, values: Mapping[str, str]) -> str:
    """Fill the placeholders of *text*; an unknown name is left as it is, braces and all."""

    def sub(m: re.Match[str]) -> str:
        token = m.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        inner = m.group(1)
        if inner is not None and inner in values:
            return values[inner]
        return token

    return _BRACE_RE.sub(sub, text)


def _read_yaml(path: Path, issues: list[ContentIssue]) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        issues.append(
            ContentIssue(
                path.name,
                None,
                None,
                f"not valid YAML{where}: {getattr(err, 'problem', None) or err}",
            )
        )
    except (OSError, UnicodeDecodeError) as err:
        issues.append(ContentIssue(path.name, None, None, f"cannot read file: {err}"))
    return None


def _str_field(
    raw: Mapping[str, Any], key: str, fname: str, eid: str, issues: list[ContentIssue]
) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        issues.append(ContentIssue(fname, eid, key, "missing or empty (must be text)"))
        return ""
    return value


def _parse_entry(
    raw: Any, index: int, lang: str, fname: str, issues: list[ContentIssue]
) -> Entry | None:
    if not isinstance(raw, dict):
        issues.append(ContentIssue(fname, f"#{index + 1}", None, "entry must be a mapping"))
        return None
    eid = raw.get("id")
    if not isinstance(eid, str) or not _ID_RE.match(eid):
        issues.append(
            ContentIssue(
                fname,
                f"#{index + 1}",
                "id",
                f"missing or malformed id {eid!r} (use lower-case-with-dashes)",
            )
        )
        return None
    for key in sorted(set(raw) - _ENTRY_KEYS):
        issues.append(ContentIssue(fname, eid, key, "unknown field"))
    category = _str_field(raw, "category", fname, eid, issues)
    if category and category not in CATEGORIES:
        issues.append(
            ContentIssue(
                fname,
                eid,
                "category",
                f"unknown category {category!r}; known: {', '.join(CATEGORIES)}",
            )
        )
    question = _str_field(raw, "question", fname, eid, issues)
    answer = _str_field(raw, "answer", fname, eid, issues)
    kw_raw = raw.get("keywords", [])
    keywords: tuple[str, ...] = ()
    if not isinstance(kw_raw, list) or not all(isinstance(k, str) for k in kw_raw):
        issues.append(ContentIssue(fname, eid, "keywords", "must be a list of text"))
    else:
        keywords = tuple(kw_raw)
    rank = raw.get("rank")
    if lang == SOURCE_LANG:
        if not isinstance(rank, int) or isinstance(rank, bool) or rank < 1:
            issues.append(
                ContentIssue(fname, eid, "rank", "ja entries need a rank (1 = asked most often)")
            )
            rank = None
    elif rank is not None:
        issues.append(ContentIssue(fname, eid, "rank", "rank belongs in ja.yaml only"))
        rank = None
    review = raw.get("review")
    state, shash = "", None
    if not isinstance(review, dict):
        issues.append(
            ContentIssue(fname, eid, "review", "missing review block ({state: …, source_hash: …})")
        )
    else:
        for key in sorted(set(review) - _REVIEW_KEYS):
            issues.append(ContentIssue(fname, eid, f"review.{key}", "unknown field"))
        state = str(review.get("state", ""))
        allowed = JA_STATES if lang == SOURCE_LANG else TRANSLATION_STATES
        if state not in allowed:
            issues.append(
                ContentIssue(
                    fname, eid, "review.state", f"{state!r} is not one of {sorted(allowed)}"
                )
            )
        raw_hash = review.get("source_hash")
        if lang == SOURCE_LANG:
            if raw_hash is not None:
                issues.append(
                    ContentIssue(
                        fname, eid, "review.source_hash", "the ja source has no source_hash"
                    )
                )
        elif not isinstance(raw_hash, str) or not raw_hash:
            issues.append(
                ContentIssue(
                    fname,
                    eid,
                    "review.source_hash",
                    "missing (hash of the ja text this was translated from)",
                )
            )
        else:
            shash = raw_hash
    for fld, text in (("question", question), ("answer", answer)):
        names, problems = placeholders_in(text)
        for p in problems:
            issues.append(ContentIssue(fname, eid, fld, p))
        for name in sorted(names - set(PLACEHOLDERS)):
            issues.append(ContentIssue(fname, eid, fld, f"unknown placeholder {{{name}}}"))
    return Entry(
        id=eid,
        lang=lang,
        category=category,
        question=question,
        answer=answer,
        keywords=keywords,
        rank=rank,
        review_state=state,
        source_hash=shash,
    )


def load_language_file(path: Path) -> LanguageFile:
    """Parse one language file; problems go to ``.issues`` rather than raising."""
    fname = path.name
    expected_lang = path.stem
    issues: list[ContentIssue] = []
    data = _read_yaml(path, issues)
    lf = LanguageFile(path=path, lang=expected_lang, language_name=expected_lang, issues=issues)
    if data is None:
        if not issues:
            issues.append(ContentIssue(fname, None, None, "file is empty"))
        return lf
    if not isinstance(data, dict):
        issues.append(
            ContentIssue(fname, None, None, "top level must be a mapping with lang and entries")
        )
        return lf
    for key in sorted(set(data) - _FILE_KEYS):
        issues.append(ContentIssue(fname, None, key, "unknown top-level field"))
    lang = data.get("lang")
    if lang != expected_lang:
        issues.append(
            ContentIssue(
                fname, None, "lang", f"says {lang!r} but the file name says {expected_lang!r}"
            )
        )
    name = data.get("language_name")
    if isinstance(name, str) and name:
        lf.language_name = name
    raw_entries = data.get("entries")
    if not isinstance(raw_entries, list):
        issues.append(ContentIssue(fname, None, "entries", "missing or not a list"))
        return lf
    for i, raw in enumerate(raw_entries):
        entry = _parse_entry(raw, i, expected_lang, fname, issues)
        if entry is None:
            continue
        if entry.id in lf.entries:
            issues.append(ContentIssue(fname, entry.id, "id", "duplicate id"))
            continue
        lf.entries[entry.id] = entry
    return lf


@dataclass(slots=True)
class FaqBase:
    """All language files, with the issues found across them."""

    languages: dict[str, LanguageFile]
    issues: list[ContentIssue]
    stale: set[tuple[str, str]] = field(default_factory=set)  # (lang, id) out of date vs ja

    @property
    def source(self) -> LanguageFile:
        return self.languages[SOURCE_LANG]

    def entry(self, lang: str, entry_id: str) -> Entry | None:
        lf = self.languages.get(lang)
        return lf.entries.get(entry_id) if lf is not None else None

    def core_ids(self, core_size: int) -> list[str]:
        """The ``core_size`` most asked ids (by ja rank) every language must translate."""
        ranked = sorted(
            (e for e in self.source.entries.values() if e.rank is not None),
            key=lambda e: (e.rank, e.id),
        )
        return [e.id for e in ranked[:core_size]]


def _cross_check(
    base: FaqBase,
    languages: Sequence[str],
    core_size: int,
    min_source_entries: int,
    complete_langs: Iterable[str],
) -> None:
    issues = base.issues
    ja = base.languages.get(SOURCE_LANG)
    if ja is None:
        issues.append(
            ContentIssue(f"{SOURCE_LANG}.yaml", None, None, "the Japanese source file is missing")
        )
        return
    jname = ja.path.name
    if len(ja.entries) < min_source_entries:
        issues.append(
            ContentIssue(
                jname,
                None,
                "entries",
                f"{len(ja.entries)} entries; at least {min_source_entries} are required",
            )
        )
    ranks: dict[int, str] = {}
    for e in ja.entries.values():
        if e.rank is not None:
            if e.rank in ranks:
                issues.append(
                    ContentIssue(
                        jname, e.id, "rank", f"rank {e.rank} also used by '{ranks[e.rank]}'"
                    )
                )
            ranks[e.rank] = e.id
    hashes = {e.id: source_hash(e.question, e.answer) for e in ja.entries.values()}
    ja_names = {
        e.id: placeholders_in(e.question)[0] | placeholders_in(e.answer)[0]
        for e in ja.entries.values()
    }
    core = base.core_ids(core_size)
    complete = set(complete_langs)
    for lang in languages:
        if lang == SOURCE_LANG:
            continue
        lf = base.languages.get(lang)
        if lf is None:
            issues.append(ContentIssue(f"{lang}.yaml", None, None, "language file is missing"))
            continue
        fname = lf.path.name
        required = list(ja.entries) if lang in complete else core
        for eid in required:
            if eid not in lf.entries:
                issues.append(
                    ContentIssue(
                        fname,
                        eid,
                        None,
                        "missing translation of this "
                        "entry" + (" (one of the most asked)" if lang not in complete else ""),
                    )
                )
        for e in lf.entries.values():
            if e.id not in ja.entries:
                issues.append(ContentIssue(fname, e.id, "id", "no such id in ja.yaml"))
                continue
            src = ja.entries[e.id]
            if e.category != src.category:
                issues.append(
                    ContentIssue(
                        fname, e.id, "category", f"{e.category!r} differs from ja {src.category!r}"
                    )
                )
            if e.source_hash is not None and e.source_hash != hashes[e.id]:
                base.stale.add((lang, e.id))
                issues.append(
                    ContentIssue(
                        fname,
                        e.id,
                        "review.source_hash",
                        "the Japanese "
                        f"source changed after translation (recorded "
                        f"{e.source_hash}, ja now {hashes[e.id]}); "
                        "re-translate or re-review, then update the hash",
                    )
                )
            names = placeholders_in(e.question)[0] | placeholders_in(e.answer)[0]
            for n in sorted(names - ja_names[e.id]):
                issues.append(
                    ContentIssue(
                        fname, e.id, "answer", f"placeholder {{{n}}} is not in the ja source"
                    )
                )
            for n in sorted(ja_names[e.id] - names):
                issues.append(
                    ContentIssue(
                        fname, e.id, "answer", f"placeholder {{{n}}} of the ja source is missing"
                    )
                )


def load_content(
    content_dir: Path | None = None,
    languages: Sequence[str] | None = None,
    *,
    core_size: int = 15,
    min_source_entries: int = 40,
    complete_langs: Iterable[str] = ("en",),
) -> FaqBase:
    """Read every ``<lang>.yaml`` and cross-check them against ``ja.yaml``.

    Never raises for content problems: they are collected in ``FaqBase.issues`` so the search
    can still serve what is usable (stale translations are flagged, not dropped). Use
    :func:`check_content` where problems must fail.
    """
    directory = content_dir or default_content_dir()
    langs = (
        list(languages)
        if languages is not None
        else sorted(p.stem for p in directory.glob("*.yaml"))
    )
    if SOURCE_LANG not in langs:
        langs.insert(0, SOURCE_LANG)
    files: dict[str, LanguageFile] = {}
    issues: list[ContentIssue] = []
    for lang in langs:
        path = directory / f"{lang}.yaml"
        if not path.exists():
            continue  # reported by the cross-check
        lf = load_language_file(path)
        files[lang] = lf
        issues.extend(lf.issues)
    base = FaqBase(languages=files, issues=issues)
    _cross_check(base, langs, core_size, min_source_entries, complete_langs)
    if base.issues:
        log.warning(
            "FAQ content has %d problem(s); run `shikaku desk content-check`",
            len(base.issues),
            extra={"content_dir": str(directory)},
        )
    return base


def check_content(
    content_dir: Path | None = None, languages: Sequence[str] | None = None, **kwargs: Any
) -> FaqBase:
    """Load the content and raise :class:`ContentError` if anything is wrong."""
    base = load_content(content_dir, languages, **kwargs)
    if base.issues:
        raise ContentError(base.issues)
    return base


_ID_LINE = re.compile(r"^\s*-\s+id:\s*['\"]?([a-z0-9-]+)['\"]?\s*$")
_HASH_FIELD = re.compile(r"(source_hash:\s*)['\"]?[0-9A-Za-z]*['\"]?")
_STATE_FIELD = re.compile(r"(state:\s*)['\"]?[a-z-]+['\"]?")


def stamp_source_hash(
    path: Path, entry_id: str, new_hash: str, *, state: str | None = None
) -> bool:
    """Record *new_hash* (and optionally a review *state*) for one entry of a translation file.

    Edits only the ``review`` line(s) of that entry, keeping comments and layout, so the diff
    shows exactly what a reviewer confirmed. Returns False when the entry or its review block
    is not found.
    """
    if state is not None and state not in TRANSLATION_STATES:
        raise ValueError(f"review state {state!r} is not one of {sorted(TRANSLATION_STATES)}")
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    inside = False
    done = False
    for i, line in enumerate(lines):
        m = _ID_LINE.match(line)
        if m:
            if inside:
                break
            inside = m.group(1) == entry_id
            continue
        if inside and "source_hash:" in line:
            line = _HASH_FIELD.sub(lambda mm: mm.group(1) + new_hash, line, count=1)
            if state is not None:
                line = _STATE_FIELD.sub(lambda mm: mm.group(1) + state, line, count=1)
            lines[i] = line
            done = True
            break
    if done:
        path.write_text("".join(lines), encoding="utf-8")
    return done
