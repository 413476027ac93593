"""The service shell: settings, the Asterisk bridge, persistence, the web, the CLI."""

__version__ = "0.1.0"
