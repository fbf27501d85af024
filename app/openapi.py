"""Render the app's OpenAPI document as YAML: `make openapi` writes it to openapi.yaml."""

import sys

import yaml

from app.config import Settings
from app.main import create_app


def render() -> str:
    app = create_app(Settings())
    return yaml.safe_dump(app.openapi(), sort_keys=False, allow_unicode=True)


if __name__ == "__main__":
    sys.stdout.write(render())
