"""The pages: login, agent desktop, wallboard, reports, what-if, configuration, IVR flows,
center settings, admin and the voicemail inbox, with their assets.

Strategy: the pages are static files in `agents_ui/` (no build step, no CDN: everything a
page loads is in the repository, so the desktop works on a closed network). Each page has
a clean path (`/agent`, `/wallboard` ...) and everything else in the folder is served
under `/static/`. The pages fetch their data from the API, which does every access check,
so serving the files themselves needs no login. Responses forbid framing and sniffing and
allow scripts only from this origin.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web
from aiohttp.typedefs import Handler

PAGES = {
    "/": "index.html",
    "/agent": "agent.html",
    "/wallboard": "wallboard.html",
    "/reports": "reports.html",
    "/whatif": "whatif.html",
    "/config": "config.html",
    "/flows": "flows.html",
    "/center": "center.html",
    "/admin": "admin.html",
    "/voicemail": "voicemail.html",
    "/worklist": "worklist.html",
}

SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "connect-src 'self'; frame-ancestors 'none'"
    ),
}


def install_pages(app: web.Application, ui: Path) -> None:
    """Serve the pages of `ui` at their paths and the folder at /static/."""
    for path, name in PAGES.items():
        file = ui / name

        async def page(request: web.Request, file: Path = file) -> web.StreamResponse:
            # FileResponse answers 404 itself when the file is missing.
            return web.FileResponse(file, headers={"Cache-Control": "no-cache"})

        app.router.add_get(path, page)
    app.router.add_static("/static/", ui, append_version=False)


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Add the headers that keep the pages from being framed or mis-typed."""
    response = await handler(request)
    if not response.prepared:
        # A page that sets its own policy (the public form, /callme) says with its
        # frame-ancestors who may frame it; X-Frame-Options would forbid every site.
        own_policy = "Content-Security-Policy" in response.headers
        for name, value in SECURITY_HEADERS.items():
            if not (own_policy and name == "X-Frame-Options"):
                response.headers.setdefault(name, value)
    return response
