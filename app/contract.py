"""The published contract: `openapi.yaml` as the app describes itself (`make openapi` writes
it; `tests/test_schema.py` fails when the file is stale). Apart from `app.openapi`, which
`app.main` installs, so that neither imports the other."""

import sys
from typing import Any

import yaml

from app.config import Settings
from app.main import create_app


def document() -> dict[str, Any]:
    return create_app(Settings()).openapi()


def render() -> str:
    return yaml.safe_dump(document(), sort_keys=False, allow_unicode=True)


if __name__ == "__main__":
    sys.stdout.write(render())
