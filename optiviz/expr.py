"""The safe formula compiler: ``x**2 + 10*y**2`` -> a function of (x, y), parsed safely, never evaluated by Python.

The text is parsed with ``ast.parse`` (parsing runs no code) and every node of the tree is checked against a
whitelist before anything else happens:

* numbers (int or float literals), the variables ``x`` and ``y``, the constants ``pi`` and ``e``;
* ``+ - * / **``, unary ``+ -``, parentheses, and the comparisons ``< <= > >= == !=`` (one at a time, for
  ``where``);
* calls of the functions in ``FUNCTIONS`` (jax.numpy's, by name, positional arguments only, right arity).

Anything else (attributes, subscripts, other names or calls, keywords, lambdas, comprehensions, strings, ``and``/
``or``, ``a if c else b``, ``^``, ...) is refused with a message saying what was found and what is allowed.
An accepted tree is compiled by walking it into a closure of ``jax.numpy`` calls: the text never reaches
``eval``, ``exec`` or ``compile``, so no Python code from the user runs, ever.

    >>> f = compile_formula(validate("x**2 + 10*y**2"))
    >>> float(f(1.0, 1.0))
    11.0

This module only compiles; ``loading.from_formula`` makes the Surface of ``"expr:<formula>"``.
"""
from __future__ import annotations

import ast
import math
from typing import Any, Callable

from ._check import clip
from ._dtype import fits, floats
from .errors import InvalidValueError, SurfaceError
from .registry import did_you_mean

#: function name -> number of arguments; each maps to ``jax.numpy.<name>``
FUNCTIONS: dict[str, int] = {
    **dict.fromkeys(["sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh",
                     "exp", "expm1", "log", "log1p", "log2", "log10", "sqrt", "cbrt", "square", "abs", "sign"], 1),
    **dict.fromkeys(["minimum", "maximum", "arctan2", "hypot"], 2),
    "where": 3,
}
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
VARIABLES = ("x", "y")
MAX_LENGTH = 2000

_BINARY = {ast.Add: "add", ast.Sub: "subtract", ast.Mult: "multiply", ast.Div: "true_divide", ast.Pow: "power"}
_UNARY = {ast.UAdd: "positive", ast.USub: "negative"}
_COMPARE = {ast.Lt: "less", ast.LtE: "less_equal", ast.Gt: "greater", ast.GtE: "greater_equal",
            ast.Eq: "equal", ast.NotEq: "not_equal"}

#: what a refused construct is called in the message, and what to write instead
_REFUSED: dict[type, str] = {
    ast.Attribute: "attribute access (write sin(x), not np.sin(x) or jnp.sin(x))",
    ast.Subscript: "indexing or slicing",
    ast.Lambda: "a lambda",
    ast.ListComp: "a comprehension", ast.SetComp: "a comprehension", ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.BoolOp: "'and' / 'or' (use where(condition, a, b))",
    ast.IfExp: "'a if c else b' (use where(c, a, b))",
    ast.NamedExpr: "an assignment expression (:=)",
    ast.Starred: "a starred argument",
    ast.List: "a list", ast.Tuple: "a tuple", ast.Set: "a set", ast.Dict: "a dict",
    ast.JoinedStr: "a string", ast.FormattedValue: "a string",
    ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield",
}


class ExprError(SurfaceError):
    """A formula that is not allowed (or not a formula); it was not evaluated."""


def _allowed_summary() -> str:
    return "allowed: numbers, x, y, pi, e, + - * / **, ( ), comparisons inside where(), and calls such as sin(x)"


def validate(text: str, spec: str | None = None) -> ast.Expression:
    """Parse ``text`` and check every node against the whitelist, and every number against the compute dtype's
    range (``_dtype.fits``); return the tree or raise ``ExprError``.

    Nothing in the text is evaluated, whether it is accepted or not.
    """
    label = spec if spec is not None else f"expr:{text}"

    def refuse(what: str, node: ast.AST | None = None) -> ExprError:
        where = f" (column {node.col_offset + 1})" if node is not None and hasattr(node, "col_offset") else ""
        return ExprError(f"surface spec {label!r}: {what} is not allowed in a formula{where}; {_allowed_summary()}. "
                         f"The formula was not evaluated.")

    if not isinstance(text, str):
        raise ExprError(f"surface spec {label!r}: a formula must be text")
    source = text.strip()
    if not source:
        raise ExprError(f"surface spec {label!r}: empty formula; write e.g. expr:x**2 + 10*y**2")
    if len(source) > MAX_LENGTH:
        raise ExprError(f"surface spec {label[:40]!r}...: the formula is longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        col = f" at column {exc.offset}" if exc.offset else ""
        raise ExprError(f"surface spec {label!r}: the formula is not valid{col}: {exc.msg}") from None
    except (RecursionError, MemoryError, ValueError):  # absurd nesting, or NUL bytes
        raise ExprError(f"surface spec {label!r}: the formula cannot be parsed (too deeply nested?)") from None

    def visit(node: ast.AST, depth: int = 0) -> None:
        if depth > 200:
            raise ExprError(f"surface spec {label!r}: the formula is nested too deeply")
        if isinstance(node, ast.Expression):
            visit(node.body, depth + 1)
        elif isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                kind = "a string" if isinstance(node.value, (str, bytes)) else f"the constant {node.value!r}"
                raise refuse(kind, node)
            if isinstance(node.value, int) and abs(node.value) > 10**300:
                raise refuse("a number this large", node)
            number, written = float(node.value), clip(ast.get_source_segment(source, node) or repr(node.value), 30)
            if not math.isfinite(number):  # 1e400: Python reads it as inf
                raise refuse(f"the number {written} (infinite as a float)", node)
            try:  # 1e39 would become inf in float32 (with NumPy's "overflow encountered in cast")
                fits(number, f"the number {written}")
            except InvalidValueError as exc:
                raise ExprError(f"surface spec {clip(label)!r}: {exc}. The formula was not evaluated.") from None
        elif isinstance(node, ast.Name):
            if node.id not in VARIABLES and node.id not in CONSTANTS:
                if node.id in FUNCTIONS:
                    raise refuse(f"the function name {node.id!r} without a call", node)
                hint = did_you_mean(node.id, [*VARIABLES, *CONSTANTS])
                raise ExprError(f"surface spec {label!r}: the name {node.id!r} is not allowed in a formula "
                                f"(only x, y, pi and e; {hint}). The formula was not evaluated.")
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                extra = " (for a power write **)" if isinstance(node.op, ast.BitXor) else ""
                raise refuse(f"the operator {_op_text(node.op)}{extra}", node)
            visit(node.left, depth + 1)
            visit(node.right, depth + 1)
        elif isinstance(node, ast.UnaryOp):
            if type(node.op) not in _UNARY:
                raise refuse(f"the operator {_op_text(node.op)}", node)
            visit(node.operand, depth + 1)
        elif isinstance(node, ast.Compare):
            if len(node.ops) != 1:
                raise refuse("a chained comparison (write where(a < x, where(x < b, ...), ...))", node)
            if type(node.ops[0]) not in _COMPARE:
                raise refuse(f"the comparison {_op_text(node.ops[0])}", node)
            visit(node.left, depth + 1)
            visit(node.comparators[0], depth + 1)
        elif isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name):
                inner = _REFUSED.get(type(node.func), "calling something other than a function name")
                raise refuse(inner, node.func)
            fname = node.func.id
            if fname not in FUNCTIONS:
                close = did_you_mean(fname, sorted(FUNCTIONS))
                hint = close if close.startswith("did") else "allowed: " + ", ".join(sorted(FUNCTIONS))
                raise ExprError(f"surface spec {label!r}: the function {fname!r} is not allowed in a formula "
                                f"({hint}). The formula was not evaluated.")
            if node.keywords:
                raise refuse(f"a keyword argument to {fname}()", node)
            for arg in node.args:
                if isinstance(arg, ast.Starred):
                    raise refuse("a starred argument", arg)
            if len(node.args) != FUNCTIONS[fname]:
                n = FUNCTIONS[fname]
                raise ExprError(f"surface spec {label!r}: {fname}() takes {n} argument{'s' * (n != 1)}, "
                                f"got {len(node.args)}. The formula was not evaluated.")
            for arg in node.args:
                visit(arg, depth + 1)
        else:
            raise refuse(_REFUSED.get(type(node), f"a {type(node).__name__} expression"), node)

    visit(tree)
    return tree


def _op_text(op: ast.AST) -> str:
    symbols = {ast.BitXor: "^", ast.BitAnd: "&", ast.BitOr: "|", ast.Mod: "%", ast.FloorDiv: "//",
               ast.LShift: "<<", ast.RShift: ">>", ast.MatMult: "@", ast.Invert: "~", ast.Not: "not",
               ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in"}
    return repr(symbols.get(type(op), type(op).__name__))


def _uses(tree: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id in VARIABLES}


def compile_formula(tree: ast.Expression) -> Callable[[Any, Any], Any]:
    """A function ``f(x, y)`` of jax.numpy calls, built by walking a tree that ``validate`` accepted."""
    import jax.numpy as jnp

    def build(node: ast.AST) -> Callable[[Any, Any], Any]:
        if isinstance(node, ast.Expression):
            return build(node.body)
        if isinstance(node, ast.Constant):
            value = float(node.value)
            return lambda x, y: value
        if isinstance(node, ast.Name):
            if node.id == "x":
                return lambda x, y: x
            if node.id == "y":
                return lambda x, y: y
            value = CONSTANTS[node.id]
            return lambda x, y: value
        if isinstance(node, ast.BinOp):
            left, right = build(node.left), build(node.right)
            exponent = _small_int(node.right) if isinstance(node.op, ast.Pow) else None
            if exponent is not None:  # x**2: an integer power, exact and differentiable at x <= 0
                return lambda x, y: jnp.power(left(x, y), exponent)
            op = getattr(jnp, _BINARY[type(node.op)])
            return lambda x, y: op(left(x, y), right(x, y))
        if isinstance(node, ast.UnaryOp):
            operand, op = build(node.operand), getattr(jnp, _UNARY[type(node.op)])
            return lambda x, y: op(operand(x, y))
        if isinstance(node, ast.Compare):
            left, right, op = build(node.left), build(node.comparators[0]), getattr(jnp, _COMPARE[type(node.ops[0])])
            return lambda x, y: op(left(x, y), right(x, y))
        if isinstance(node, ast.Call):
            fn = getattr(jnp, node.func.id)
            args = [build(a) for a in node.args]
            return lambda x, y: fn(*(a(x, y) for a in args))
        raise AssertionError(f"validate() let a {type(node).__name__} through")  # pragma: no cover

    body = build(tree)
    uses = _uses(tree)

    def formula(x, y):
        out = floats(body(x, y))
        # a formula without x or y still has the shape of its inputs (a grid of values, not one number)
        if "x" not in uses:
            out = out + jnp.zeros_like(x)
        if "y" not in uses:
            out = out + jnp.zeros_like(y)
        return out

    return formula


def _small_int(node: ast.AST) -> int | None:
    sign = 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        sign, node = -1, node.operand
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool) \
            and node.value <= 64:
        return sign * node.value
    return None
