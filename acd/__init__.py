"""The ACD domain core: queues, agents, skills, routing and metrics. Pure and synchronous."""
