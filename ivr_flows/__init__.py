"""The IVR: flow schema, the pure interpreter, and the shipped flows.

Strategy: flows are data (YAML files in `ivr_flows/flows/`, read by the shell) validated by
`parse_flow` and `FlowSet`; `IvrInterpreter` runs one call through a flow, inputs in,
actions out, like the ACD core. This package is pure and synchronous: the standard library
and pydantic, no I/O, time only as the `now` of each input.
"""

from ivr_flows.actions import (
    Collect,
    CustomerKey,
    EnqueueCall,
    EstimateWait,
    Finished,
    Hangup,
    InputIgnored,
    IvrAction,
    LookupCustomer,
    LookupData,
    Play,
    RecordVoicemail,
    RequestCallback,
    SayDate,
    SayDigits,
    SayNumber,
    SetLanguage,
    StoreSurvey,
    Transfer,
)
from ivr_flows.calendar import Calendar
from ivr_flows.checks import luhn_valid
from ivr_flows.errors import FlowError, FlowProblem
from ivr_flows.flow import NODE_TYPES, Flow, parse_flow
from ivr_flows.flowset import FlowSet
from ivr_flows.inputs import (
    CallerHungUp,
    CallStarted,
    DigitsReceived,
    IvrInput,
    LookupAnswered,
    NoInput,
    PromptPlayed,
    RecordingDone,
    RecordingFailed,
    WaitEstimated,
)
from ivr_flows.interpreter import IvrInterpreter
from ivr_flows.tree import flow_tree
from ivr_flows.vocabulary import DTMF_KEYS, MAX_DIGITS

__all__ = [
    "DTMF_KEYS",
    "MAX_DIGITS",
    "NODE_TYPES",
    "Calendar",
    "CallStarted",
    "CallerHungUp",
    "Collect",
    "CustomerKey",
    "DigitsReceived",
    "EnqueueCall",
    "EstimateWait",
    "Finished",
    "Flow",
    "FlowError",
    "FlowProblem",
    "FlowSet",
    "Hangup",
    "InputIgnored",
    "IvrAction",
    "IvrInput",
    "IvrInterpreter",
    "LookupAnswered",
    "LookupCustomer",
    "LookupData",
    "NoInput",
    "Play",
    "PromptPlayed",
    "RecordVoicemail",
    "RecordingDone",
    "RecordingFailed",
    "RequestCallback",
    "SayDate",
    "SayDigits",
    "SayNumber",
    "SetLanguage",
    "StoreSurvey",
    "Transfer",
    "WaitEstimated",
    "flow_tree",
    "luhn_valid",
    "parse_flow",
]
