"""`callcenter demo`: the whole service on the embedded database, driven by the simulator.

`run` starts the service and the PBX simulator with demo settings, seeds users and
customers and prints where to open the pages; `traffic` is the demo's call mix (arrival
rate with peaks, callers, agents' phones).
"""
