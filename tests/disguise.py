"""A copy disguised as a cheat would: every name the code defines renamed consistently
(functions, classes, methods, arguments, variables, attributes it sets, import aliases),
functions and methods reordered, docstrings and comments rewritten, the layout changed
(`ast.unparse`, which also drops redundant parentheses, then two-space indentation, blank
lines and comments of its own). Builtins, library names and dunder methods keep their names,
so the code still means the same.
"""
from __future__ import annotations

import ast
import builtins
import random

WORDS = ("alpha", "beta", "gamma", "delta", "omega", "kappa", "sigma", "theta", "zeta", "lam", "rho", "tau")
KEEP = frozenset(dir(builtins)) | {"self", "cls"}


def _defined(tree: ast.Module) -> set[str]:
    """Every name the code defines: what a cheat can rename without changing what it does."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
        elif (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
              and isinstance(node.value, ast.Name) and node.value.id == "self"):
            names.add(node.attr)
    return {n for n in names if n not in KEEP and not (n.startswith("__") and n.endswith("__"))}


class _Rename(ast.NodeTransformer):
    def __init__(self, names: dict[str, str]):
        self.names = names

    def _new(self, name: str) -> str:
        return self.names.get(name, name)

    def visit_Name(self, node):
        node.id = self._new(node.id)
        return node

    def visit_arg(self, node):
        node.arg = self._new(node.arg)
        self.generic_visit(node)
        return node

    def visit_FunctionDef(self, node):
        node.name = self._new(node.name)
        self.generic_visit(node)
        return node

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        node.name = self._new(node.name)
        self.generic_visit(node)
        return node

    def visit_Attribute(self, node):
        self.generic_visit(node)
        if isinstance(node.value, ast.Name) and node.value.id == "self":
            node.attr = self._new(node.attr)
        return node

    def visit_alias(self, node):
        bound = (node.asname or node.name).split(".")[0]
        if bound in self.names and "." not in node.name:
            node.asname = self.names[bound]
        return node


def _reorder(body: list, rng: random.Random) -> list:
    """The definitions in `body` shuffled among the places definitions held; other statements stay."""
    places = [i for i, node in enumerate(body) if isinstance(node, (ast.FunctionDef, ast.ClassDef))]
    moved = [body[i] for i in places]
    rng.shuffle(moved)
    body = list(body)
    for i, node in zip(places, moved):
        body[i] = node
    return body


def _docstrings(tree: ast.Module, rng: random.Random) -> None:
    """Each docstring rewritten (or removed), the module's too."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                if rng.random() < 0.5 and len(node.body) > 1:
                    node.body.pop(0)
                else:
                    first.value.value = f"My own {rng.choice(WORDS)} helper, written from scratch."


def disguise(source: str, seed: int = 0) -> str:
    """`source` disguised as the module says; the same seed, the same disguise."""
    rng = random.Random(seed)
    tree = ast.parse(source)
    defined = sorted(_defined(tree))
    fresh = [f"{rng.choice(WORDS)}_{i}" for i in range(len(defined))]
    tree = _Rename(dict(zip(defined, fresh))).visit(tree)
    tree.body = _reorder(tree.body, rng)
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            node.body = _reorder(node.body, rng)
    _docstrings(tree, rng)
    return _relayout(ast.unparse(ast.fix_missing_locations(tree)), rng)


def _relayout(code: str, rng: random.Random) -> str:
    """Two-space indentation, blank lines and comments of the copier's own."""
    out = []
    for line in code.splitlines():
        stripped = line.lstrip(" ")
        indent = "  " * ((len(line) - len(stripped)) // 4)
        if stripped and rng.random() < 0.3:
            out.append(f"{indent}# {rng.choice(WORDS)}: {rng.choice(WORDS)} step")
        if rng.random() < 0.15:
            out.append("")
        out.append(indent + stripped)
    return "\n".join(out) + "\n"
