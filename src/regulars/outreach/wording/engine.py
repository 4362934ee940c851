"""The template engine of the wording, and the checks a manager's template must pass.

A dedicated ``django.template.Engine`` with no loaders and none of Django's built-in
libraries: only the tags and filters of ``wording.library``. Three flavours share it:
``text`` (no escaping: e-mail text, text messages, cards), ``html`` (escaping, for the
e-mail's HTML part) and ``check`` (text, with a sentinel for every name that does not
resolve, so the checks can say which).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any, ClassVar

from django.template import Context, Engine, TemplateSyntaxError
from django.template import Template as DjangoTemplate
from django.template.base import FilterExpression, Lexer, Node, NodeList, TokenType, Variable
from django.template.defaulttags import FirstOfNode, ForNode, IfNode, WithNode
from django.utils.translation import gettext as _

from regulars.outreach.wording.library import FILTERS, INNER_WORDS, TAGS
from regulars.outreach.wording.names import NAMES

LIBRARY = "regulars.outreach.wording.library"
_MISSING = "\x00"
_MISSING_RE = re.compile("\x00(.*?)\x00")
_QUOTED = re.compile(r""""[^"]*"|'[^']*'""")
_FILTER = re.compile(r"\|\s*([A-Za-z_][A-Za-z0-9_]*)")

SMS_MAX_CHARS = 300  # what the template writes; the unsubscribe link comes on top
CARD_MAX_CHARS = 700  # what fits the front of an A6 card at a readable size
SUBJECT_MAX_CHARS = 200


class WordingEngine(Engine):
    """An engine with no built-in libraries: nothing but ``wording.library``."""

    default_builtins: ClassVar[list[str]] = []


@lru_cache(maxsize=3)
def engine(kind: str) -> Engine:
    return WordingEngine(
        dirs=[],
        app_dirs=False,
        loaders=[],
        debug=kind == "check",
        autoescape=kind == "html",
        builtins=[LIBRARY],
        string_if_invalid=_MISSING + "%s" + _MISSING if kind == "check" else "",
    )


@lru_cache(maxsize=1024)
def compiled(kind: str, source: str) -> DjangoTemplate:
    """The template for ``source`` (compiled once per source and flavour)."""
    return engine(kind).from_string(source)


def render_source(kind: str, source: str, names: dict[str, Any]) -> str:
    return compiled(kind, source).render(Context(names, autoescape=kind == "html"))


def uses(source: str, name: str) -> bool:
    """Whether the template source mentions ``name`` (``voucher``, ``unsubscribe_url``)."""
    return re.search(rf"\b{re.escape(name)}\b", source) is not None


# --- Checks -----------------------------------------------------------------------------


def _token_problems(source: str, part: str) -> list[str]:
    """Tags and filters that are not allowed, found before compiling so each is named
    with its line (Django would stop at the first)."""
    problems: list[str] = []
    in_comment = False
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            word = token.contents.split()[0] if token.contents.split() else ""
            if in_comment:
                in_comment = word != "endcomment"
                continue
            in_comment = word == "comment"
            if word and word not in TAGS and word not in INNER_WORDS:
                problems.append(
                    _("%(part)s, line %(line)d: the tag {%% %(tag)s %%} is not allowed here.")
                    % {"part": part, "line": token.lineno, "tag": word}
                )
                continue
        if in_comment or token.token_type not in (TokenType.BLOCK, TokenType.VAR):
            continue
        for found in _FILTER.finditer(_QUOTED.sub('""', token.contents)):
            if found.group(1) not in FILTERS and found.group(1) != "plural":
                problems.append(
                    _("%(part)s, line %(line)d: there is no filter “%(filter)s”.")
                    % {"part": part, "line": token.lineno, "filter": found.group(1)}
                )
    return problems


def _walk(nodelist: NodeList) -> Iterator[Node]:
    for node in nodelist:
        yield node
        for attr in node.child_nodelists:
            child = getattr(node, attr, None)
            if child:
                yield from _walk(child)


def _condition_expressions(condition: Any) -> Iterator[FilterExpression]:
    value = getattr(condition, "value", None)
    if isinstance(value, FilterExpression):
        yield value
    for side in ("first", "second"):
        inner = getattr(condition, side, None)
        if inner is not None:
            yield from _condition_expressions(inner)


def _expressions(node: Node) -> Iterator[FilterExpression]:
    if isinstance(node, IfNode):
        for condition, _nodes in node.conditions_nodelists:
            if condition is not None:
                yield from _condition_expressions(condition)
    elif isinstance(node, ForNode):
        if isinstance(node.sequence, FilterExpression):
            yield node.sequence
    elif isinstance(node, WithNode):
        for value in node.extra_context.values():
            if isinstance(value, FilterExpression):
                yield value
    elif isinstance(node, FirstOfNode):
        yield from node.vars
    elif isinstance(getattr(node, "filter_expression", None), FilterExpression):
        yield node.filter_expression  # type: ignore[attr-defined]


def _variables(expression: FilterExpression) -> Iterator[Variable]:
    if isinstance(expression.var, Variable) and expression.var.lookups is not None:
        yield expression.var
    for _func, args in expression.filters:
        for is_variable, argument in args:
            if is_variable and isinstance(argument, Variable) and argument.lookups is not None:
                yield argument


def unknown_names(template: DjangoTemplate) -> list[str]:
    """Names the template reads that are neither ours nor bound by the template."""
    nodes = list(_walk(template.nodelist))
    bound = {"forloop"}
    for node in nodes:
        if isinstance(node, ForNode):
            bound.update(node.loopvars)
        elif isinstance(node, WithNode):
            bound.update(node.extra_context)
    unknown: list[str] = []
    for node in nodes:
        for expression in _expressions(node):
            for variable in _variables(expression):
                first = str(variable.lookups[0]) if variable.lookups else ""
                if first not in NAMES and first not in bound and str(variable) not in unknown:
                    unknown.append(str(variable))
    return unknown


def source_problems(source: str, part: str) -> tuple[list[str], DjangoTemplate | None]:
    """What is wrong with one template source (the subject or the message), and the
    compiled template when it compiles."""
    problems = _token_problems(source, part)
    if problems:
        return problems, None
    try:
        template = compiled("check", source)
    except TemplateSyntaxError as error:
        line = getattr(error, "template_debug", {}).get("line", 1)
        return [
            _("%(part)s, line %(line)d: the template cannot be read: %(detail)s")
            % {"part": part, "line": line, "detail": error}
        ], None
    problems += [
        _("%(part)s: there is no name “%(name)s”; the names are: %(names)s.")
        % {"part": part, "name": name, "names": ", ".join(NAMES)}
        for name in unknown_names(template)
    ]
    return problems, template


def rendered_problems(text: str, part: str, *, voucher: bool) -> list[str]:
    """Names that did not resolve when rendered with the sample values."""
    problems: list[str] = []
    for name in dict.fromkeys(_MISSING_RE.findall(text)):
        if not voucher and name.startswith("voucher"):
            problems.append(
                _(
                    "%(part)s: “%(name)s” is empty when there is no voucher: put it inside "
                    "{%% if voucher %%} … {%% endif %%}."
                )
                % {"part": part, "name": name}
            )
        else:
            problems.append(_("%(part)s: “%(name)s” has no value.") % {"part": part, "name": name})
    return problems


def without_missing(text: str) -> str:
    return _MISSING_RE.sub("", text)
