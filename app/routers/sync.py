from collections import Counter

from fastapi import APIRouter

from app.deps import ListWorkerOrGuest, SessionDep
from app.observability.metrics import SYNC_ITEMS
from app.retry import retry_conflicts
from app.schemas.sync import SyncIn, SyncOut
from app.services.canvass import phone_sync

router = APIRouter(tags=["sync"])


@router.post("/sync", response_model=SyncOut)
async def sync_results(session: SessionDep, tenant: ListWorkerOrGuest, body: SyncIn) -> SyncOut:
    """Upload results recorded on a phone (at most 500). One answer per item, in order:
    `created`, `duplicate` (a client_id seen before: the first contact's id) or `rejected`.
    Canvassers sync for the lists assigned to them, list-code tokens for their list, the
    other roles for any list of the campaign."""
    answer = await retry_conflicts(session, lambda: phone_sync.sync(session, tenant, body.results))
    for status, count in Counter(item.status for item in answer.results).items():
        SYNC_ITEMS.labels(status).inc(count)
    return answer
