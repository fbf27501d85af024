"""Fixtures of the privacy stories (their builders are in `world.py`)."""

import pytest
from httpx import AsyncClient

from tests.builders import AssignedList, CampaignFixture
from tests.privacy.world import Knocked, build_canvassed


@pytest.fixture
async def canvassed(client: AsyncClient, camp: CampaignFixture, assigned: AssignedList) -> Knocked:
    """The assigned list after one synced batch and Bea's hand corrections (see `Knocked`)."""
    return await build_canvassed(client, camp, assigned)
