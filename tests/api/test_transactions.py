"""A transaction's charger: from the chargers its page read, or loaded on its own; NOT_FOUND once it is gone."""

from __future__ import annotations

from tests.api import factories
from tests.api.fakes_api import ApiUnitOfWork
from tests.api.harness import Api

ONE = "query($id: ID!) { transaction(id: $id) { id charger { chargePointId } } }"
PAGE = "query($v: ID!) { vehicle(id: $v) { transactions { edges { node { id charger { chargePointId } } } } } }"


async def test_a_single_transactions_charger_is_loaded_on_its_own(api: Api) -> None:
    charger = await factories.charger(api)
    session = await factories.transaction(api, charger, await factories.vehicle(api, await factories.user(api)))
    before = ApiUnitOfWork.opened
    answer = await api.data(ONE, {"id": str(session.id)})
    assert answer == {"transaction": {"id": str(session.id), "charger": {"chargePointId": "CP-1"}}}
    assert ApiUnitOfWork.opened - before == 2  # the transaction, then the charger loader's batch


async def test_a_transaction_whose_charger_is_gone_answers_not_found(api: Api) -> None:
    charger = await factories.charger(api)
    car = await factories.vehicle(api, await factories.user(api))
    session = await factories.transaction(api, charger, car)
    del api.store.table("chargers")[charger.id]
    # Outside a page the loader finds nothing; in a page the priming finds nothing and the loader is asked again.
    for query, variables in ((ONE, {"id": str(session.id)}), (PAGE, {"v": str(car.id)})):
        error = await api.error(query, variables)
        assert error["extensions"]["code"] == "NOT_FOUND"
        assert error["message"] == f"charger {charger.id} not found"
