"""The process: settings, logging, wiring, the service's lifetime, task supervision, health.

`settings` reads and validates `callcenter.yaml`; `wiring` assembles the live center and the
web; `service` runs them with the AMI clients and the FastAGI server; `tasks` supervises
the long-lived tasks; `ops` reads the health figures for /metrics and /readyz; `paths`
finds the shipped data; `logsetup` configures structlog.
"""
