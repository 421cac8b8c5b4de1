"""The ASCII update equations of the optimizers' docstrings as LaTeX, for the API reference.

The docstrings stay the one owner of each rule (``optiviz describe`` prints them as they are); this module only
reads them. It is pure text to text, and keeps to the TeX subset that both MathJax and matplotlib's mathtext
understand, so a test can check every converted line without building the site.
"""
from __future__ import annotations

import inspect
import re

GREEK = {"theta", "eta", "nu", "mu", "rho", "beta", "epsilon", "psi", "alpha", "lambda", "sigma", "delta"}
HYPER = {"b1": r"\beta_1", "b2": r"\beta_2", "eps": r"\epsilon", "lr": r"\mathrm{lr}"}
FUNCTIONS = {"max": r"\max", "min": r"\min", "sign": r"\mathrm{sign}", "clip": r"\mathrm{clip}"}
ACCENTS = {"hat": r"\hat", "bar": r"\bar"}
SUBWORDS = {"inf": r"\infty", "plus": "+", "minus": "-", "max": r"\mathrm{max}"}
OPS = {"<=": r"\leq", ">=": r"\geq", "*": r"\,", "...": r"\ldots"}

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<ident>[A-Za-z][A-Za-z0-9]*'*(?:_(?:\{[^}]*\}|[A-Za-z0-9]+))*'*)
  | (?P<number>\d+(?:\.\d+)?(?:e-?\d+)?)
  | (?P<op>\*\*|<=|>=|\.\.\.|[-+*/=<>,;:|()])
""", re.VERBOSE)


def _escape(text: str, math: bool = True) -> str:
    """``text`` safe inside ``\\mathrm{}`` (``_`` escaped) or ``\\text{}`` (where ``_`` is a plain character)."""
    text = text.replace("\\", "").replace("{", "(").replace("}", ")").replace("$", "")
    return text.replace("_", r"\_") if math else text


def _ident(word: str) -> tuple[str, bool]:
    """LaTeX for one identifier, and whether it reads as a word (spaced from its neighbours)."""
    if word in HYPER:
        return HYPER[word], False
    if word in FUNCTIONS:
        return FUNCTIONS[word], False
    parts = re.findall(r"\{[^}]*\}|[^_]+", word)
    base, rest = parts[0], parts[1:]
    prime = ""
    while base.endswith("'"):
        base, prime = base[:-1], prime + "'"
    if rest and rest[-1].endswith("'"):
        prime += "'" * (len(rest[-1]) - len(rest[-1].rstrip("'")))
        rest[-1] = rest[-1].rstrip("'")
    index_like = all(p in ACCENTS or p in SUBWORDS or p.startswith("{") or len(p) == 1 or p.isdigit()
                     for p in rest)
    if base in GREEK:
        sym = "\\" + base
    elif base in HYPER:
        sym = HYPER[base]
    elif len(base) == 1:
        sym = base
    elif not rest:
        return rf"\mathrm{{{base}}}", True          # a hyperparameter's name or a word of prose
    elif index_like:
        sym = rf"\mathrm{{{base}}}"                 # Eg_t, dx_t: a two-letter quantity with an index
    else:
        return rf"\mathrm{{{_escape(word)}}}", True   # weight_decay, min_step_size
    if not index_like and base not in HYPER:
        return rf"\mathrm{{{_escape(word)}}}", True   # lr_decay, momentum_decay
    if base in HYPER and rest:
        return rf"\mathrm{{{_escape(word)}}}", True
    subs = []
    for p in rest:
        if p in ACCENTS:
            sym = f"{ACCENTS[p]}{{{sym}}}"
        elif p in SUBWORDS:
            subs.append(SUBWORDS[p])
        else:
            subs.append(p[1:-1] if p.startswith("{") else p)
    out = sym + prime
    sub = ",".join(subs)
    if sub:
        out += "_" + (sub if len(sub) == 1 else "{" + sub + "}")
    return out, False


def _group(tokens: list[tuple[str, str]], i: int) -> tuple[list[tuple[str, str]], int]:
    """The tokens inside the parenthesis that opens at ``i`` (without it), and the index after its match."""
    depth = 0
    for j in range(i, len(tokens)):
        if tokens[j] == ("op", "("):
            depth += 1
        elif tokens[j] == ("op", ")"):
            depth -= 1
            if depth == 0:
                return tokens[i + 1:j], j + 1
    raise ValueError("unbalanced parentheses")


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"cannot read {text[pos:]!r}")
        out.append((m.lastgroup, m.group()))
        pos = m.end()
    return out


def _expr(tokens: list[tuple[str, str]]) -> str:
    out: list[str] = []
    prev = "op"
    pending_space = False
    i = 0
    while i < len(tokens):
        kind, text = tokens[i]
        if kind == "space":
            pending_space = True
            i += 1
            continue
        if kind == "ident" and text == "sqrt" and i + 1 < len(tokens) and tokens[i + 1] == ("op", "("):
            inner, i = _group(tokens, i + 1)
            piece, word = rf"\sqrt{{{_expr(inner)}}}", False
        elif kind == "op" and text == "**":
            j = i + 1
            if tokens[j] == ("op", "("):
                inner, i = _group(tokens, j)
                piece = "^{" + _expr(inner) + "}"
            else:
                piece, i = "^{" + _expr([tokens[j]]) + "}", j + 1
            out.append(piece)
            prev, pending_space = "number", False
            continue
        elif kind == "ident":
            piece, word = _ident(text)
            i += 1
        elif kind == "op":
            piece, word = OPS.get(text, text), False
            i += 1
        else:
            piece, word = text, False
            i += 1
        if pending_space and ((word and prev != "op") or (prev == "word" and kind != "op")):
            out.append(r"\ ")
        out.append(piece)
        prev, pending_space = ("word" if word else kind), False
    return "".join(out)


def _segments(line: str) -> list[str]:
    """A line cut where the docstring puts two equations side by side: at ``;`` and at runs of 2+ spaces."""
    pieces, depth, cur = [], 0, ""
    for part in re.split(r"(;|\s{2,}|[()])", line.strip()):
        if part in ("(", ")"):
            depth += 1 if part == "(" else -1
        if depth == 0 and (part == ";" or (part.isspace() and len(part) >= 2)):
            pieces.append(cur)
            cur = ""
        else:
            cur += part
    pieces.append(cur)
    return [p.strip().rstrip(",;").strip() for p in pieces if p.strip().rstrip(",;").strip()]


def _is_note(seg: str) -> bool:
    if not (seg.startswith("(") and seg.endswith(")")):
        return False
    try:
        _, end = _group(_tokens(seg), 0)
    except ValueError:
        return True
    return end == len(_tokens(seg))


def to_latex(line: str) -> list[str]:
    """One ASCII line of an equation block as LaTeX strings, one per equation.

    ``m_t = b1 * m_{t-1} + (1 - b1) * g'_t`` -> ``m_t=\\beta_1\\,m_{t-1}+(1-\\beta_1)\\,g'_t``. Two
    equations side by side become two strings; a parenthesised note after an equation stays with it as
    ``\\text{...}``; a word such as ``optax:`` before an equation is kept as text.
    """
    out: list[str] = []
    prefix = ""
    for seg in _segments(line):
        if _is_note(seg):
            note = r"\quad\text{" + _escape(seg.replace("``", ""), math=False) + "}"
            if out:
                out[-1] += note
            else:
                out.append(note)
            continue
        m = re.fullmatch(r"([A-Za-z]+):", seg)
        if m:
            prefix = r"\text{" + m.group(1) + r":}\quad "
            continue
        latex = _expr(_tokens(seg.replace("``", "")))
        if not re.search(r"(?<![<>])=", seg) and out:
            # a continuation of the equation before it ("or ...", "if ...")
            out[-1] += r"\quad " + latex
        else:
            out.append(prefix + latex)
        prefix = ""
    return out


def split_doc(doc: str) -> tuple[str, list[str], str]:
    """A factory's docstring as (summary, the indented equation block's lines, the rest)."""
    lines = inspect.cleandoc(doc).splitlines()
    summary = lines[0]
    i = 1
    while i < len(lines) and not lines[i].strip():
        i += 1
    block: list[str] = []
    while i < len(lines) and (lines[i].startswith(" ") or not lines[i].strip()):
        if lines[i].strip():
            block.append(lines[i])
        i += 1
        if block and i < len(lines) and not lines[i].strip():
            break
    return summary, block, "\n".join(lines[i:]).strip()


def equations(doc: str) -> list[str]:
    """Every LaTeX equation of a docstring's block, in order."""
    return [eq for line in split_doc(doc)[1] for eq in to_latex(line)]
