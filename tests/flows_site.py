"""The stored IVR flows on a test site: a copy of the shipped flows as the flows folder,
seeded into the site's database and run by a `FlowLibrary`, as the service does."""

from __future__ import annotations

import shutil
from pathlib import Path

from callcenter.app.settings import SHIPPED_FLOWS
from callcenter.ivr.catalog import FlowCatalog
from callcenter.ivr.loader import FlowLibrary
from tests.web_site import Site

BYE = """\
description: A line that says goodbye.
start: bye
nodes:
  bye:
    type: hangup
"""


async def attach_flows(site: Site, tmp_path: Path) -> FlowCatalog:
    """Give `site` the stored flows (the shipped ones, version 1 each) as the service does."""
    folder = tmp_path / "flows"
    shutil.copytree(SHIPPED_FLOWS, folder)
    context = site.backend.context
    settings = context.settings.ivr.model_copy(update={"flows_dir": folder})
    assert context.flow_versions is not None
    catalog = FlowCatalog(FlowLibrary(settings), context.flow_versions)
    await catalog.start()
    context.flows = catalog
    return catalog
