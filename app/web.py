"""The web app (`web/`): static files under /app/, served as they are (no build step).

Pages that the app draws itself (a list code's link `/app/go/<CODE>`) answer the app's shell,
so a printed QR code or a shared link opens the app, which reads the path.
"""

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

WEB = Path(__file__).resolve().parents[1] / "web"


def install(app: FastAPI) -> None:
    shell = WEB / "index.html"

    @app.get("/app/go/{code}", include_in_schema=False)
    async def list_code_link(code: str) -> FileResponse:
        return FileResponse(shell, media_type="text/html")

    app.mount("/app", StaticFiles(directory=WEB, html=True), name="web")
