"""Customer records, interaction history and the screen-pop payload.

The pure side of CTI: the vocabulary (`cti.types`), the ports storage and CRM implement
(`cti.ports`), the ticket workflow (`cti.tickets`), the greeting (`cti.greeting`) and the
screen pop (`cti.pop`, gathered by `cti.builder.PopBuilder`). No I/O happens here.
"""

from cti.builder import PopBuilder
from cti.greeting import suggest_greeting
from cti.pop import CREATE_CUSTOMER, OPEN_TICKET, ScreenPop, compose_pop, merge_crm
from cti.ports import CrmLookup, CustomerSource, HistorySource, TicketSource
from cti.tickets import IllegalTransition, TicketError, TicketStatus, check_transition, due_at
from cti.types import (
    CallContext,
    CrmRecord,
    Customer,
    InteractionSummary,
    TicketSummary,
    Tier,
)

__all__ = [
    "CREATE_CUSTOMER",
    "OPEN_TICKET",
    "CallContext",
    "CrmLookup",
    "CrmRecord",
    "Customer",
    "CustomerSource",
    "HistorySource",
    "IllegalTransition",
    "InteractionSummary",
    "PopBuilder",
    "ScreenPop",
    "TicketError",
    "TicketSource",
    "TicketStatus",
    "TicketSummary",
    "Tier",
    "check_transition",
    "compose_pop",
    "due_at",
    "merge_crm",
    "suggest_greeting",
]
