"""The `callcenter` command line: one module per command group.

`main` parses the command line and dispatches (`serve`, `demo`, `doctor`, `version`,
`config check`); `flows` checks and shows the IVR flows; `prompts` builds the sounds;
`db` migrates the database and holds what every database command shares; `users` adds
logins; `customers` imports the customers file.
"""
