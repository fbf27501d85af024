"""The `doorstep` command line: campaigns, imports, the demo, and the job worker."""

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.config import MissingSecretKey, get_settings
from app.db import make_engine, make_sessionmaker, session_scope
from app.demo import campaign as demo
from app.demo import canvass as demo_canvass
from app.errors import AppError
from app.jobs.worker import run_worker
from app.logs import configure_logging
from app.models import Campaign, Role
from app.schemas.precincts import PrecinctImportOut
from app.services.access.keys import attach_settings
from app.services.access.tenancy import Tenant
from app.services.access.users import create_campaign
from app.services.geography.precincts import import_precincts
from app.services.import_outcome import ImportOutcome
from app.services.voter_file.importer import CsvFileError, import_voters

cli = typer.Typer(
    no_args_is_help=True, add_completion=False, help=__doc__, pretty_exceptions_enable=False
)
T = TypeVar("T")


def _run(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one committed transaction; print app errors instead of tracebacks."""

    async def main() -> T:
        settings = get_settings()
        engine = make_engine(settings)
        try:
            async with session_scope(make_sessionmaker(engine)) as session:
                return await work(attach_settings(session, settings))
        finally:
            await engine.dispose()

    try:
        return asyncio.run(main())
    except MissingSecretKey as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(1) from None
    except (AppError, CsvFileError) as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(1) from None


async def _campaign_tenant(session: AsyncSession, slug: str) -> Tenant:
    campaign_id = (
        await session.execute(select(col(Campaign.id)).where(col(Campaign.slug) == slug))
    ).scalar()
    if campaign_id is None:
        typer.secho(f"error: no campaign {slug!r}", fg="red", err=True)
        raise typer.Exit(1)
    return Tenant(campaign_id=campaign_id, user_id=None, role=Role.admin)


@cli.command("create-campaign")
def create_campaign_cmd(
    name: Annotated[str, typer.Option()],
    slug: Annotated[str, typer.Option()],
    admin_email: Annotated[str, typer.Option()],
    admin_password: Annotated[str, typer.Option()],
) -> None:
    """Create a campaign and its first admin."""

    async def work(session: AsyncSession) -> Campaign:
        return await create_campaign(
            session, name, slug, admin_email.strip().lower(), admin_password
        )

    campaign = _run(work)
    typer.echo(f"campaign {campaign.slug} created (id {campaign.id}); admin {admin_email}")


@cli.command("import-precincts")
def import_precincts_cmd(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    campaign: Annotated[str, typer.Option(help="Campaign slug")],
    code_property: Annotated[str, typer.Option()],
    name_property: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Import precincts from a GeoJSON FeatureCollection (upsert by code)."""
    collection = json.loads(file.read_text(encoding="utf-8"))
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        typer.secho("error: the file is not a GeoJSON FeatureCollection", fg="red", err=True)
        raise typer.Exit(1)

    async def work(session: AsyncSession) -> PrecinctImportOut:
        tenant = await _campaign_tenant(session, campaign)
        return await import_precincts(
            session, tenant, collection.get("features") or [], code_property, name_property
        )

    result = _run(work)
    typer.echo(
        f"created {result.created}, updated {result.updated}, rejected {len(result.rejected)}"
    )
    for rejected in result.rejected:
        typer.echo(f"  feature {rejected.index}: {rejected.message}")


@cli.command("import-voters")
def import_voters_cmd(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    campaign: Annotated[str, typer.Option(help="Campaign slug")],
) -> None:
    """Import a voter-file CSV (upsert by voter_id), with a progress bar."""
    size = file.stat().st_size
    columns = (
        *Progress.get_default_columns()[:1],
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
    )

    async def work(session: AsyncSession) -> ImportOutcome:
        tenant = await _campaign_tenant(session, campaign)
        with Progress(*columns, transient=False) as progress, file.open("rb") as stream:
            task = progress.add_task("reading", total=size)
            result = await import_voters(
                session,
                tenant,
                stream,
                lambda done: progress.update(task, completed=done.bytes_done),
            )
            progress.update(task, completed=size, description="loaded")
        return result

    result = _run(work)
    typer.echo(
        f"rows {result.rows_read}: created {result.created}, updated {result.updated}, "
        f"rejected {result.rejected}, without precinct {result.without_precinct}"
    )
    for error in result.errors[:20]:
        typer.echo(f"  line {error['line']} {error['column'] or ''}: {error['message']}")
    if result.rejected > 20:
        typer.echo(f"  ... and {result.rejected - 20} more")


@cli.command("load-demo")
def load_demo_cmd() -> None:
    """Load the demo campaign (Cambridge, MA) and its canvass, whatever is not there yet."""

    async def work(
        session: AsyncSession,
    ) -> tuple[demo.DemoLoaded | None, demo_canvass.DemoCanvass | None]:
        loaded = None if await demo.demo_exists(session) else await demo.load_demo(session)
        tenant = await _campaign_tenant(session, demo.SLUG)
        return loaded, await demo_canvass.load_canvass(session, tenant.campaign_id)

    loaded, canvass = _run(work)
    if loaded is None:
        typer.echo("demo campaign already loaded")
    else:
        typer.echo(
            f"demo campaign loaded: {loaded['precincts']} precincts, {loaded['people']} people"
        )
    if canvass is not None:
        lists = ", ".join(f"{number} ({doors} doors)" for number, doors in canvass["lists"])
        typer.echo(f"demo canvass: survey '{canvass['survey']}', walk lists {lists}")


@cli.command("demo-logins")
def demo_logins_cmd() -> None:
    """Print the demo users, their password, and a new list code (the earlier one revoked:
    codes are stored hashed). Needs the server's SECRET_KEY for the code to work there."""
    typer.echo(f"  demo logins (campaign '{demo.SLUG}', password '{demo.PASSWORD}'):")
    for user in demo.USERS:
        typer.echo(f"    {user.role.value:<11} {user.email}")

    async def work(session: AsyncSession) -> tuple[str, str] | None:
        return await demo_canvass.fresh_list_code(session, demo.SLUG)

    found = _run(work)
    if found is not None:
        typer.echo(f"  list code for walk list {found[0]}: {found[1]}")
        typer.echo(f"  open it on a phone: http://127.0.0.1:8000/app/go/{found[1]}")


@cli.command("worker")
def worker_cmd(
    concurrency: Annotated[
        int | None, typer.Option(help="Jobs at once (default WORKER_CONCURRENCY)")
    ] = None,
) -> None:
    """Run the job worker (voter imports, results uploads) until SIGINT or SIGTERM: jobs in
    progress finish first. Run as many as you like, here or on other machines."""
    try:
        settings = get_settings()
    except MissingSecretKey as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(1) from None
    if concurrency is not None:
        settings = settings.model_copy(update={"worker_concurrency": concurrency})
    configure_logging(logging.INFO)
    asyncio.run(run_worker(settings))


def main() -> None:
    cli()
