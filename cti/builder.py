"""Gathering a screen pop: local record, CRM overlay, history and open tickets.

Strategy: the local lookups come first and are fast (indexed, see
`benchmarks/cti_lookup.py`); the CRM is asked through a `CrmLookup` that has its own
deadline and answers None when late, so a slow CRM costs at most its timeout and the pop
falls back to the local record. A caller unknown by number is tried by the account number
they keyed into the IVR, so the caller is never asked twice.
"""

from __future__ import annotations

from datetime import datetime

from cti.pop import ScreenPop, compose_pop, merge_crm
from cti.ports import CrmLookup, CustomerSource, HistorySource, TicketSource
from cti.types import CallContext, Customer


class PopBuilder:
    """Builds `ScreenPop`s from the storage ports and an optional CRM."""

    def __init__(
        self,
        customers: CustomerSource,
        history: HistorySource,
        tickets: TicketSource,
        *,
        crm: CrmLookup | None = None,
        history_size: int = 5,
    ) -> None:
        """`history_size` is how many earlier calls the pop lists."""
        self._customers = customers
        self._history = history
        self._tickets = tickets
        self._crm = crm
        self._history_size = history_size

    async def _local(self, call: CallContext) -> Customer | None:
        customer = None
        if call.caller_number:
            customer = await self._customers.find_by_phone(call.caller_number)
        account = call.account or call.ivr_answers.get("account")
        if customer is None and account:
            customer = await self._customers.find_by_account(account)
        return customer

    async def build(self, call: CallContext, *, now: datetime) -> ScreenPop:
        """The pop for `call`, as of `now` (which decides what is overdue)."""
        local = await self._local(call)
        crm = None
        if self._crm is not None and call.caller_number:
            crm = await self._crm.lookup(call.caller_number)
        customer = merge_crm(local, crm)
        source = "+".join(
            name for name, found in (("local", local), ("crm", crm)) if found is not None
        )
        customer_id = customer.id if customer is not None else None
        earlier = await self._history.recent(
            customer_id=customer_id,
            caller_number=call.caller_number if customer_id is None else None,
            limit=self._history_size + 1,
        )
        # The call ringing now is recorded already; the pop lists the calls before it.
        history = [h for h in earlier if h.uniqueid != call.uniqueid][: self._history_size]
        tickets = await self._tickets.open_for_customer(customer_id) if customer_id else []
        return compose_pop(call, customer, history, tickets, now=now, source=source or "none")
