from typing import Annotated

from fastapi import APIRouter, Depends

from app.deps import SessionDep, require_roles
from app.models import Role
from app.schemas.sync import SyncIn, SyncOut
from app.services import sync
from app.services.tenancy import Tenant

router = APIRouter(tags=["sync"])
# Canvassers sync for the lists assigned to them; the others for any list of the campaign.
Syncer = Annotated[
    Tenant, Depends(require_roles(Role.admin, Role.organizer, Role.data_entry, Role.canvasser))
]


@router.post("/sync", response_model=SyncOut)
async def sync_results(session: SessionDep, tenant: Syncer, body: SyncIn) -> SyncOut:
    """Upload results recorded on a phone (at most 500). One answer per item, in order:
    `created`, `duplicate` (a client_id seen before: the first contact's id) or `rejected`."""
    return await sync.sync(session, tenant, body.results)
