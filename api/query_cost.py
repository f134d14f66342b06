"""What a GraphQL operation may cost, worked out from its document before anything runs.

The cost is an upper bound on the number of values the answer can hold: every field selected counts once for
each object it can appear in, and a connection's `first` (or `last`) multiplies everything below it. So
`chargers(first: 50) { edges { node { id } } }` costs 1 + 50 x 3 = 151, and 500 aliases of it cost 75,500.
Fragments are expanded where they are spread, variables take the request's values, and an argument left out
takes its default from the schema (50 for our connections). Plain lists without `first` (a user's RFID tags)
count once: their length is bounded by the data, not by the caller. `@skip`/`@include` are ignored, so the
bound holds whatever their conditions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SchemaMetaFieldDef,
    SelectionSetNode,
    TypeMetaFieldDef,
    TypeNameMetaFieldDef,
    VariableValues,
    get_argument_values,
    get_named_type,
    get_variable_values,
    is_composite_type,
)

from domain.pagination import MAX_PAGE_SIZE

# The arguments that say how many items a field returns.
_PAGE_ARGUMENTS = ("first", "last")


def operation_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any] | None,
) -> int:
    """The cost of `operation` with the request's raw `variables` (see the module's docstring).

    Variables that do not coerce count as absent: such a request fails before execution anyway.
    """
    coerced = get_variable_values(schema, operation.variable_definitions or (), dict(variables or {}))
    values = None if isinstance(coerced, list) else coerced  # a list: the errors that execution reports
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    return _Costing(schema, fragments, values).selections(root, operation.selection_set)


class _Costing:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: VariableValues | None,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        # A fragment's cost per occurrence, by (fragment, type it is spread in): costs are linear in the
        # multiplier, so each fragment is walked once however often (and however nested) it is spread.
        self._fragment_costs: dict[tuple[str, str], int] = {}
        self._expanding: set[str] = set()

    def selections(self, parent: GraphQLObjectType | Any, selection_set: SelectionSetNode | None) -> int:
        """The cost of one occurrence of `selection_set` on an object of type `parent`."""
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self._field(parent, selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                on = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selections(on or parent, selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                total += self._fragment(parent, selection.name.value)
        return total

    def _fragment(self, parent: Any, name: str) -> int:
        fragment = self.fragments.get(name)
        if fragment is None or name in self._expanding:  # unknown or cyclic: refused by validation already
            return 0
        key = (name, getattr(parent, "name", ""))
        if key not in self._fragment_costs:
            self._expanding.add(name)
            on = self.schema.get_type(fragment.type_condition.name.value) or parent
            self._fragment_costs[key] = self.selections(on, fragment.selection_set)
            self._expanding.discard(name)
        return self._fragment_costs[key]

    def _field(self, parent: Any, node: FieldNode) -> int:
        definition = self._definition(parent, node.name.value)
        if definition is None or node.selection_set is None:
            return 1
        child = get_named_type(definition.type)
        if not is_composite_type(child):
            return 1
        return 1 + self._items(definition, node) * self.selections(child, node.selection_set)

    def _definition(self, parent: Any, name: str) -> GraphQLField | None:
        if name == "__typename":
            return TypeNameMetaFieldDef
        if parent is self.schema.query_type and name in ("__schema", "__type"):
            return SchemaMetaFieldDef if name == "__schema" else TypeMetaFieldDef
        fields: dict[str, GraphQLField] | None = getattr(parent, "fields", None)  # unions have none
        return fields.get(name) if fields else None

    def _items(self, definition: GraphQLField, node: FieldNode) -> int:
        """How many items the field returns at most: its `first`/`last` (within 0..500), else one."""
        if not any(name in definition.args for name in _PAGE_ARGUMENTS):
            return 1
        try:
            arguments = get_argument_values(definition, node, self.variables)
        except GraphQLError:  # a bad value: execution refuses it before any resolver runs
            return 1
        for name in _PAGE_ARGUMENTS:
            value = arguments.get(name)
            if isinstance(value, int):
                # Beyond 500 the resolver refuses the page itself, with the clearer message.
                return max(0, min(value, MAX_PAGE_SIZE))
        return 1
