"""The IVR's shell side: what runs the pure flows (`ivr_flows`) on a live call.

`runner` drives one call through a flow over FastAGI; `lookups` answers the flows' data
questions (caller, order, account) from the database; `loader` reads and checks the flow
files; `prompts` plays a prompt so that a missing sound costs the caller nothing;
`voicemail` records a message; `dialplan` is the contract with Asterisk's dialplan
(contexts, scripts, variables) that the doctor and the shipped configuration share.
"""
