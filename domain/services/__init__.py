"""Use cases: plain async functions of one shape.

    async def use_case(store, *ports, cmd: Command, clock: Clock = utcnow) -> Result

- `store`, where the use case keeps what it changes: the tenant's `UnitOfWork`, which it opens, changes and
  commits; for a use case that opens units of work of its own (to retry after a lost race, or one per tenant
  in a sweep), the `UnitOfWorkFactory`, the tenant being in the command; for tenants and API keys, which no
  tenant's unit of work holds, the `Directory`.
- the ports it needs besides, in the order `Deps` lists them (Directory, EventBus, FrameJournal,
  ChargerCommands, TokenFactsReader), then `Liveness`.
- `cmd`, one frozen dataclass of domain.commands with everything the use case acts on; a command sent to a
  charger (domain.charger_commands) travels inside one, e.g. `OperateCharger(charger_id, Reset(hard=True))`.
- `clock`, last, when the use case reads the time.

Each opens its unit of work, changes entities, commits; events go out after the commit.

Not use cases, and not of this shape: queries, which read and change nothing (domain/queries.py); steps,
which a use case of another module calls inside the unit of work it opened and commits, taking that open
unit of work, what they work on and `now` (authorization.judge, pairing.capture, vehicles.store_identifier);
pure functions (authorization.decide); and private helpers (`_name`). tests/unit/test_use_case_shape.py
checks every public coroutine of this package against the rule.
"""
