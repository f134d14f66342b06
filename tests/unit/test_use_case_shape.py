"""Every use case in domain.services has the one shape its package docstring states:

async def use_case(store, *ports, cmd: Command, clock: Clock = utcnow)
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
import typing
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest

import domain.services
from domain.commands import Authorize
from domain.ids import Clock, utcnow
from domain.ports import (
    ChargerCommands,
    Directory,
    EventBus,
    FrameJournal,
    Liveness,
    TokenFactsReader,
    UnitOfWork,
    UnitOfWorkFactory,
)

# Where a use case stores: a tenant's unit of work; the factory, for one that opens units of work of its own
# (the tenant in its command); the Directory, for tenants and API keys.
STORES: tuple[object, ...] = (UnitOfWork, UnitOfWorkFactory, Directory)
# The ports a use case may need besides, in this order (the order of Deps, then Liveness).
PORTS: tuple[object, ...] = (Directory, EventBus, FrameJournal, ChargerCommands, TokenFactsReader, Liveness)
COMMAND_MODULES = {"domain.commands", "domain.charger_commands"}

# Steps: called by a use case of another module (or by the tests' fakes) inside the unit of work that use
# case opened and commits. Their shape is checked below: the open unit of work first, then `now`, no clock.
STEPS = {
    "authorization.judge",
    "authorization.read_facts",
    "authorization.record",
    "pairing.capture",
    "suggestions.learn_from_tap",
    "vehicles.store_identifier",
}
# The adapters' end of an audited operation: it writes the audit record of a use case and is not one itself.
NOT_USE_CASES = {"audit.finish"}


def _public_coroutines() -> Iterator[tuple[str, Callable[..., Any]]]:
    for module_info in pkgutil.iter_modules(domain.services.__path__):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"domain.services.{module_info.name}")
        for name, function in inspect.getmembers(module, inspect.iscoroutinefunction):
            if function.__module__ == module.__name__ and not name.startswith("_"):
                yield f"{module_info.name}.{name}", function


FUNCTIONS = dict(_public_coroutines())
USE_CASES = {name: f for name, f in FUNCTIONS.items() if name not in STEPS | NOT_USE_CASES}


def _is_command(annotation: object) -> bool:
    cls = typing.get_origin(annotation) or annotation  # OperateCharger[Reset] is an OperateCharger
    return (
        isinstance(cls, type)
        and cls.__module__ in COMMAND_MODULES
        and dataclasses.is_dataclass(cls)
        and cls.__dataclass_params__.frozen  # type: ignore[attr-defined]
    )


def shape_errors(function: Callable[..., Any]) -> list[str]:
    """What is wrong with a use case's shape; nothing when it has the one shape."""
    hints = typing.get_type_hints(function)
    parameters = list(inspect.signature(function).parameters.values())
    errors = [f"{p.name} is not positional" for p in parameters if p.kind is not p.POSITIONAL_OR_KEYWORD]
    if parameters and parameters[-1].name == "clock":
        clock = parameters.pop()
        if hints.get("clock") != Clock or clock.default is not utcnow:
            errors.append("clock is not `clock: Clock = utcnow`")
    if len(parameters) < 2:
        return [*errors, "a use case takes where it stores and a command"]
    store, *ports, cmd = parameters
    if hints.get(store.name) not in STORES:
        errors.append(f"{store.name} (first) is no UnitOfWork, UnitOfWorkFactory or Directory")
    if cmd.name != "cmd" or not _is_command(hints.get("cmd")):
        errors.append(f"{cmd.name} (last but the clock) is not `cmd`, a frozen dataclass of domain.commands")
    positions = [PORTS.index(hints[p.name]) if hints.get(p.name) in PORTS else -1 for p in ports]
    if -1 in positions or positions != sorted(set(positions)):
        errors.append(f"ports {[p.name for p in ports]} are not ports of {PORTS} in that order, each once")
    errors += [f"{p.name} has a default" for p in parameters if p.default is not p.empty]
    return errors


def test_the_use_cases_are_found() -> None:
    assert {"chargers.charger_connected", "station_operations.reset", "transactions.start_transaction"} <= set(
        USE_CASES
    )
    assert len(USE_CASES) > 30
    assert set(FUNCTIONS) >= STEPS | NOT_USE_CASES  # an exception that no longer exists is taken off the list


@pytest.mark.parametrize("name", sorted(USE_CASES))
def test_a_use_case_takes_where_it_stores_its_ports_one_command_and_the_clock(name: str) -> None:
    assert shape_errors(USE_CASES[name]) == []


@pytest.mark.parametrize("name", sorted(STEPS))
def test_a_step_takes_the_open_unit_of_work_and_now(name: str) -> None:
    hints = typing.get_type_hints(FUNCTIONS[name])
    first = next(iter(inspect.signature(FUNCTIONS[name]).parameters))
    assert (hints[first], hints.get("now"), "clock" in hints) == (UnitOfWork, datetime, False)


async def _not_a_use_case(uow: UnitOfWork, charger_id: str, clock: Clock = utcnow) -> None: ...


async def _reversed_ports(
    uow: UnitOfWork, tokens: TokenFactsReader, commands: ChargerCommands, cmd: Authorize
) -> None: ...


def test_the_check_refuses_the_old_shapes() -> None:
    [no_command] = shape_errors(_not_a_use_case)
    assert no_command.startswith("charger_id (last but the clock) is not `cmd`")
    [misordered] = shape_errors(_reversed_ports)
    assert misordered.startswith("ports ['tokens', 'commands'] are not ports")
