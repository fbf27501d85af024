"""The web app (`web/`): static files under /app/, served as they are (no build step).

Pages that the app draws itself (a list code's link `/app/go/<CODE>`, a list, a door) answer
the app's shell, so a printed QR code, a shared link or a reload opens the app, which reads the
path.
"""

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

WEB = Path(__file__).resolve().parents[1] / "web"


def install(app: FastAPI) -> None:
    shell = WEB / "index.html"

    @app.get("/app/go/{code}", include_in_schema=False)
    @app.get("/app/lists/{page:path}", include_in_schema=False)
    async def app_page() -> FileResponse:
        return FileResponse(shell, media_type="text/html")

    @app.get("/app/entry", include_in_schema=False)
    async def data_entry() -> FileResponse:
        return FileResponse(WEB / "entry.html", media_type="text/html")

    app.mount("/app", StaticFiles(directory=WEB, html=True), name="web")
