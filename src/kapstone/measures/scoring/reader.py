"""Reading one definition's cross-references: the shared data-file reader (``kapstone.lib.datafile``)
with the few getters definitions need besides, and the parse state that sources, options, items and
subscales are checked against — citations, LOINC codes, operands, operators, conditions and message
templates. The sections themselves are read in ``parser.py``. Pure Python, no Django.
"""

from __future__ import annotations

import re
from typing import Any, cast

from kapstone.lib.datafile import ID, Node, cited, is_number

from .instrument import PLACEHOLDER, Item, Option, Source
from .rules import OPS, AllOf, AnyOf, Condition, CountTest, ItemTest, Operand, OptionRef, ScoreTest

_KINDS = ("item", "score", "percent_of_max", "at_least", "all", "any")


class DefinitionNode(Node):
    """A table of a definition file: ``Node`` plus presence tests, plain arrays and other id forms."""

    def table(self, key: str, required: bool = False) -> DefinitionNode | None:
        return cast("DefinitionNode | None", super().table(key, required))

    # Node builds its children with type(self): the narrower types are true, lists are invariant.
    def tables(self, key: str, required: bool = False) -> list[DefinitionNode]:  # type: ignore[override]
        return cast("list[DefinitionNode]", super().tables(key, required))

    def has(self, key: str) -> bool:
        return key in self.data

    def array(self, key: str) -> list[Any]:
        value = self.get(key)
        if not isinstance(value, list):
            raise self.fail(key, "expected an array")
        return value

    def ident(self, key: str, pattern: re.Pattern[str] = ID) -> str:
        if pattern is ID:
            return super().ident(key)
        value: str = self.string(key)
        if not pattern.match(value):
            raise self.fail(key, f"{value!r} is not a valid id (a letter, then letters, digits or _)")
        return value


class References:
    """What a definition has declared so far, and the readers of references to it."""

    def __init__(self, root: DefinitionNode) -> None:
        self.root = root
        self.source = root.source
        self.listed_sources: dict[str, Source] = {}
        self.options: dict[str, Option] = {}
        self.items: dict[str, Item] = {}
        self.subscale_ids: set[str] = set()

    def node(self, value: Any, where: str) -> DefinitionNode:
        return DefinitionNode(value, where, self.source)

    def sources(self, node: Node, key: str = "sources", required: bool = True) -> tuple[str, ...]:
        """The section's citations, each a source the definition listed; ``required``: at least one."""
        return cited(node, key, listed=self.listed_sources, at_least_one=required, optional=not required)

    def code(self, node: Node, key: str, pattern: re.Pattern[str]) -> str | None:
        value: str | None = node.string(key, None)
        if value is not None and not pattern.match(value):
            raise node.fail(key, f"{value!r} is not a LOINC code of the expected form")
        return value

    def operand(self, node: Node, key: str, *, need_default: bool) -> Operand:
        value = node.get(key)
        if isinstance(value, dict):
            ref = self.node(value, node.path(key))
            name: str = ref.string("option")
            ref.finish()
            option = self.options.get(name)
            if option is None:
                raise node.fail(key, f"option {name!r} is not defined in [options]")
            if option.type not in ("integer", "number"):
                raise node.fail(key, f"option {name!r} is not numeric")
            if need_default and option.default is None:
                raise node.fail(key, f"option {name!r} has no default, so a rule cannot use it")
            return OptionRef(name)
        if not is_number(value):
            raise node.fail(key, 'expected a number or {option = "name"}')
        result: Operand = value
        return result

    def op(self, node: Node, key: str = "op") -> str:
        value: str = node.string(key)
        if value not in OPS:
            raise node.fail(key, f"unknown operator {value!r} (use one of {' '.join(OPS)})")
        return value

    def item_ref(self, node: Node, key: str, item: str, skip_logic: bool) -> None:
        # Items are registered as they are read, so skip logic can only see earlier items.
        if item not in self.items:
            where = " before this one (skip logic may only depend on earlier items)" if skip_logic else ""
            raise node.fail(key, f"item {item!r} is not defined{where}")

    def condition(self, value: Any, where: str, *, items_only: bool = False) -> Condition:
        node = self.node(value, where)
        kinds = [k for k in _KINDS if node.has(k)]
        if len(kinds) != 1:
            raise node.fail(
                None, "a condition needs exactly one of item, score, percent_of_max, at_least, all, any"
            )
        kind = kinds[0]
        cond: Condition
        if kind in ("all", "any"):
            parts_raw = node.array(kind)
            if not parts_raw:
                raise node.fail(kind, "needs at least one condition")
            parts = tuple(
                self.condition(p, f"{node.path(kind)}[{i}]", items_only=items_only)
                for i, p in enumerate(parts_raw)
            )
            cond = AllOf(parts) if kind == "all" else AnyOf(parts)
        elif kind == "item":
            item: str = node.string("item")
            self.item_ref(node, "item", item, items_only)
            cond = ItemTest(item, self.op(node), self.operand(node, "value", need_default=True))
        elif kind == "at_least":
            ids: tuple[str, ...] = node.strings("of")
            count: int = node.integer("at_least")
            if not 1 <= count <= len(ids):
                raise node.fail("at_least", f"must be between 1 and the number of items ({len(ids)})")
            for ref in ids:
                self.item_ref(node, "of", ref, items_only)
            cond = CountTest(count, ids, self.op(node), self.operand(node, "value", need_default=True))
        else:
            if items_only:
                raise node.fail(kind, "skip logic can only test items")
            target: str = node.string(kind)
            if target != "total" and target not in self.subscale_ids:
                raise node.fail(kind, f"{target!r} is neither 'total' nor a subscale id")
            cond = ScoreTest(
                target,
                kind == "percent_of_max",
                self.op(node),
                self.operand(node, "value", need_default=True),
            )
        node.finish()
        return cond

    def template(self, node: Node, key: str, text: str) -> str:
        """Flag texts may contain {option_name} placeholders, filled with the option in force."""
        for name in PLACEHOLDER.findall(text):
            if name not in self.options or self.options[name].default is None:
                raise node.fail(key, f"placeholder {{{name}}} must name an option with a default")
        rest = PLACEHOLDER.sub("", text)
        if "{" in rest or "}" in rest:
            raise node.fail(key, "braces are only allowed around an option name")
        return text
