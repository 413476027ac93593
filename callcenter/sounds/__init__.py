"""The sounds a deployment plays: which it needs, which a sounds directory lacks, and
making them (`callcenter prompts build`).

Strategy: `catalog` says which sounds the flows and the service need per language and looks
them up in an Asterisk sounds directory; `texts` holds what each says (`texts.yaml`, data a
company edits or overrides); `synth` makes 8 kHz mu-law files with espeak-ng and sox;
`build` fills a directory, keeping what is there (the command: `callcenter.cli.prompts`).
Nothing here runs during a call: the service only plays what this put in place (see
`callcenter.ivr.prompts`).
"""
