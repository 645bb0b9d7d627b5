"""Templates: render a subject and a body from a :class:`RenderContext`, safely and strictly.

* Jinja2's :class:`~jinja2.sandbox.SandboxedEnvironment` renders user-written templates:
  attribute names starting with "_" (``''.__class__.__mro__`` ...) are refused, and
  repetition operators are bounded so a template cannot allocate gigabytes.
* A variable the context does not have is an error that names *every* missing variable
  (``TemplateProblem(missing=["deal.po_no", "person.last_name"])``), never an empty gap in a
  mail that is about to be sent. This is Jinja2's ``StrictUndefined`` contract, extended to
  collect all names in one pass instead of stopping at the first. Optional parts are written
  ``{% if deal.tracking_no is defined %}...{% endif %}``.
* :func:`check_template` is for the template editor: syntax errors with line numbers,
  variables the context can never provide (typos like ``person.lastname``), unsafe access.

Built-in templates live in ``templates/<language>/<key>.txt``: a ``Subject:`` line, a blank
line, then the body.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from importlib import resources
from typing import Any

from jinja2 import TemplateSyntaxError, Undefined, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from tradeinbox.core.writing.context import (
    Company,
    Deal,
    Person,
    RenderContext,
    SenderInfo,
    format_date,
)

LANGUAGES = ("en", "zh", "es")
TEMPLATE_KEYS = (
    "cold_outreach",
    "inquiry_reply",
    "quotation_cover",
    "negotiation_followup",
    "sample_followup",
    "order_confirmation",
    "production_progress",
    "shipping_notice",
    "after_sales_feedback",
    "call_confirmation",
    "newsletter_optin",
    "vacation_autoreply",
)
MAX_OUTPUT = 200_000  # characters; a mail body longer than this is a template bug


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    body: str


@dataclass(frozen=True, slots=True)
class TemplateIssue:
    """One problem found by :func:`check_template`: ``kind`` is "syntax", "unknown" or "unsafe"."""

    kind: str
    part: str  # "subject" or "body"
    message: str
    line: int | None = None
    variable: str | None = None


class TemplateProblem(Exception):
    """Rendering refused: ``missing`` variables (dotted names), ``unsafe`` accesses, or ``syntax``."""

    def __init__(
        self,
        missing: list[str] | None = None,
        unsafe: list[str] | None = None,
        syntax: list[str] | None = None,
    ) -> None:
        self.missing = sorted(set(missing or []))
        self.unsafe = sorted(set(unsafe or []))
        self.syntax = list(syntax or [])
        parts = []
        if self.missing:
            parts.append("missing variable(s): " + ", ".join(self.missing))
        if self.unsafe:
            parts.append("unsafe access: " + ", ".join(self.unsafe))
        if self.syntax:
            parts.append("syntax: " + "; ".join(self.syntax))
        super().__init__("; ".join(parts) or "template problem")


class _Scope:
    """A read-only namespace that knows its dotted path, so a missing name is reported in full.

    Not a ``dict`` subclass on purpose: Jinja2 tries attributes before keys, so a dict's own
    methods would shadow variables (``deal.items`` would be ``dict.items``).
    """

    __slots__ = ("_data", "_path")

    def __init__(self, path: str, data: dict[str, Any]) -> None:
        self._path = path
        self._data = data

    @property
    def path(self) -> str:
        return self._path

    def __getattr__(self, name: str) -> Any:
        try:
            return self._data[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, name: str) -> Any:
        return self._data[name]

    def __contains__(self, name: object) -> bool:
        return name in self._data

    def __str__(self) -> str:
        return str(self._data)


def _scoped(path: str, value: Any) -> Any:
    if isinstance(value, dict):
        return _Scope(path, {k: _scoped(f"{path}.{k}" if path else k, v) for k, v in value.items()})
    if isinstance(value, list):
        return [_scoped(f"{path}[{i}]", v) for i, v in enumerate(value)]
    return value


@dataclass
class _Recorder:
    missing: list[str] = field(default_factory=list)
    unsafe: list[str] = field(default_factory=list)


def _make_undefined(recorder: _Recorder) -> type[Undefined]:
    class RecordingUndefined(Undefined):
        """Like StrictUndefined, but records the name and carries on so all names are found."""

        __slots__ = ()

        def _dotted(self) -> str:
            obj = self._undefined_obj
            name = self._undefined_name or "?"
            if isinstance(obj, _Scope) and obj.path:
                return f"{obj.path}.{name}"
            if isinstance(obj, RecordingUndefined):
                return f"{obj._dotted()}.{name}"
            return str(name)

        def _record(self) -> None:
            if self._undefined_exception is SecurityError:
                recorder.unsafe.append(self._undefined_hint or self._dotted())
            else:
                recorder.missing.append(self._dotted())

        def __str__(self) -> str:
            self._record()
            return ""

        def __iter__(self):  # noqa: ANN204 - Undefined's signature
            self._record()
            return iter(())

        def __bool__(self) -> bool:
            self._record()
            return False

        def __len__(self) -> int:
            self._record()
            return 0

        def __getattr__(self, name: str) -> Any:
            if name.startswith("__"):
                raise AttributeError(name)
            return RecordingUndefined(obj=self, name=name, exc=self._undefined_exception)

        def __getitem__(self, name: Any) -> Any:
            # Reached after a refused attribute too (Jinja2 tries obj[name] when getattr
            # fails), so it must not raise: the chain stays undefined and is reported.
            return RecordingUndefined(obj=self, name=str(name), exc=self._undefined_exception)

    return RecordingUndefined


class _Environment(SandboxedEnvironment):
    """Sandbox that also bounds ``*`` and ``**`` (string/list repetition, huge powers)."""

    intercepted_binops = frozenset(["*", "**"])

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        if operator_name == "**":
            if isinstance(right, int | float) and abs(right) > 100:
                raise SecurityError("exponent too large")
            return operator.pow(left, right)
        if (
            isinstance(left, str | list | tuple)
            and isinstance(right, int)
            and right * len(left) > MAX_OUTPUT
        ):
            raise SecurityError("repetition too large")
        if (
            isinstance(right, str | list | tuple)
            and isinstance(left, int)
            and left * len(right) > MAX_OUTPUT
        ):
            raise SecurityError("repetition too large")
        return operator.mul(left, right)


def _environment(recorder: _Recorder, language: str) -> _Environment:
    env = _Environment(
        undefined=_make_undefined(recorder),
        autoescape=False,  # plain-text mail; HTML is made from it by escaping later
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )

    def fdate(value: Any) -> str:
        if isinstance(value, Undefined):
            return str(value)
        if isinstance(value, date | datetime):
            return format_date(value, language)
        return str(value)

    env.filters["date"] = fdate
    return env


def render_template(source_subject: str, source_body: str, context: RenderContext) -> Rendered:
    """Render a subject and a body; raise :class:`TemplateProblem` naming every missing variable."""
    recorder = _Recorder()
    env = _environment(recorder, context.language)
    variables = {k: _scoped(k, v) for k, v in context.variables().items()}
    try:
        subject_t = env.from_string(source_subject)
        body_t = env.from_string(source_body)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(syntax=[f"line {exc.lineno}: {exc.message}"]) from exc
    try:
        subject = subject_t.render(variables)
        body = body_t.render(variables)
    except SecurityError as exc:
        raise TemplateProblem(unsafe=[str(exc)]) from exc
    if recorder.missing or recorder.unsafe:
        raise TemplateProblem(missing=recorder.missing, unsafe=recorder.unsafe)
    if len(body) > MAX_OUTPUT:
        raise TemplateProblem(unsafe=["output too long"])
    # A subject is one line: newlines in it would be a header-injection risk (RFC 5322 2.2).
    subject = " ".join(subject.split())
    subject = subject[:1].upper() + subject[1:]  # a product name may start the line
    return Rendered(subject=subject, body=body.strip() + "\n")


# --- static checks for the template editor -------------------------------------------------


def known_variables() -> set[str]:
    """Every dotted name a :class:`RenderContext` can provide."""
    names = {"salutation", "signature", "today", "language"}
    for prefix, cls, props in (
        ("person", Person, ("full_name",)),
        ("company", Company, ("full_name",)),
        ("deal", Deal, ()),
        ("sender", SenderInfo, ("full_name",)),
        ("sender.company", Company, ("full_name",)),
    ):
        names.add(prefix)
        names.update(f"{prefix}.{f.name}" for f in fields(cls) if f.name != "company")
        names.update(f"{prefix}.{p}" for p in props)
    return names


def _dotted_name(node: nodes.Node) -> str | None:
    parts: list[str] = []
    while isinstance(node, nodes.Getattr | nodes.Getitem):
        if isinstance(node, nodes.Getattr):
            parts.append(node.attr)
        elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            parts.append(node.arg.value)
        else:
            return None
        node = node.node
    if isinstance(node, nodes.Name):
        return ".".join([node.name, *reversed(parts)])
    return None


_JINJA_NAMES = frozenset({"loop", "super", "self", "varargs", "kwargs", "caller"})


def check_template(
    source_subject: str, source_body: str, extra_variables: set[str] | frozenset[str] = frozenset()
) -> list[TemplateIssue]:
    """Problems a user-written template has, before it is ever rendered."""
    issues: list[TemplateIssue] = []
    known = known_variables() | set(extra_variables)
    env = _Environment()
    for part, source in (("subject", source_subject), ("body", source_body)):
        try:
            tree = env.parse(source)
        except TemplateSyntaxError as exc:
            issues.append(TemplateIssue("syntax", part, exc.message or "syntax error", exc.lineno))
            continue
        local = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
        for node in tree.find_all(nodes.Getattr):
            if node.attr.startswith("_"):
                issues.append(
                    TemplateIssue(
                        "unsafe", part, f"access to '{node.attr}' is not allowed", node.lineno
                    )
                )
        seen: set[str] = set()
        for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Name)):
            name = _dotted_name(node)
            if not name or name in seen:
                continue
            seen.add(name)
            root = name.split(".")[0]
            if root in local or root in env.globals or root in _JINJA_NAMES:
                continue
            if isinstance(node, nodes.Name) and node.ctx != "load":
                continue
            if any(seg.startswith("_") for seg in name.split(".")):
                continue  # reported as unsafe above
            if name not in known and not any(k.startswith(name + ".") for k in known):
                # Only report the longest chain; "person" alone is fine when "person.x" is known.
                issues.append(
                    TemplateIssue("unknown", part, f"unknown variable '{name}'", node.lineno, name)
                )
    # Drop prefixes of a reported chain (Getattr nodes are visited outermost first).
    unknown = {i.variable for i in issues if i.kind == "unknown"}
    return [
        i
        for i in issues
        if i.kind != "unknown"
        or not any(u != i.variable and u.startswith(f"{i.variable}.") for u in unknown)
    ]


# --- built-in library ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BuiltinTemplate:
    key: str
    language: str
    subject: str
    body: str


def load_builtin(key: str, language: str = "en") -> BuiltinTemplate:
    """A built-in template; ``KeyError`` if the key or language is not shipped."""
    if key not in TEMPLATE_KEYS or language not in LANGUAGES:
        raise KeyError(f"{language}/{key}")
    source = (
        resources.files("tradeinbox.core.writing")
        .joinpath(f"templates/{language}/{key}.txt")
        .read_text(encoding="utf-8")
    )
    head, _, body = source.partition("\n\n")
    if not head.startswith("Subject:"):
        raise ValueError(f"template {language}/{key} does not start with 'Subject:'")
    return BuiltinTemplate(key, language, head[len("Subject:") :].strip(), body.strip() + "\n")


def builtin_templates() -> list[BuiltinTemplate]:
    """The whole shipped library."""
    return [load_builtin(key, lang) for lang in LANGUAGES for key in TEMPLATE_KEYS]


def render_builtin(key: str, context: RenderContext) -> Rendered:
    """Render the built-in template ``key`` in the context's language."""
    template = load_builtin(key, context.language if context.language in LANGUAGES else "en")
    return render_template(template.subject, template.body, context)


def template_variables(source_subject: str, source_body: str) -> list[str]:
    """The context variables a template reads, as dotted names, longest chains only.

    Loop variables and names the template sets itself are left out: ``item.name`` inside
    ``{% for item in deal.items %}`` is part of ``deal.items``. Used by the compose page to
    ask for exactly the facts a template needs. Raises :class:`TemplateProblem` on a syntax
    error.
    """
    env = _Environment()
    found: set[str] = set()
    for source in (source_subject, source_body):
        try:
            tree = env.parse(source)
        except TemplateSyntaxError as exc:
            raise TemplateProblem(syntax=[f"line {exc.lineno}: {exc.message}"]) from exc
        local = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
        for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Name)):
            if isinstance(node, nodes.Name) and node.ctx != "load":
                continue
            name = _dotted_name(node)
            if not name or any(seg.startswith("_") for seg in name.split(".")):
                continue
            root = name.split(".")[0]
            if root in local or root in env.globals or root in _JINJA_NAMES:
                continue
            found.add(name)
    return sorted(n for n in found if not any(o.startswith(n + ".") for o in found))
