"""The `callcenter` command line: one module per command group.

`main` parses the command line and dispatches (`serve`, `demo`, `doctor`, `check-config`);
`db` holds `db`, `users` and `agents`; `customers` the customers file import; `flows` the
IVR flows' `check` and `show`. `callcenter prompts` lives with the prompts it builds
(`callcenter.sounds.cli`).
"""
