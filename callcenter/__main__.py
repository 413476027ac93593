"""`python -m callcenter` runs the CLI."""

from callcenter.cli.main import main

raise SystemExit(main())
