"""`python -m callcenter` runs the CLI."""

from callcenter.cli import main

raise SystemExit(main())
