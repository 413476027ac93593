"""`callcenter doctor`: is this deployment able to take a call?

`checks` asks a running Asterisk over AMI (modules, endpoints, the dialplan contract) and
prints the report; `local` checks what needs no AMI (the FastAGI port, the database's
migration); `fastagi` is the FastAGI exchange both ends of that check speak.
"""
