"""Printed walk sheets: the paper copy of a walk list, for when phones fail.

Rows follow the list's walking order and carry the same `line` numbers as the phone and the
paper-entry API, so a sheet and its data-entry screen read in the same order. Every page has a
QR code ("DOORSTEP/WL/<list id>/P/<page>") so scanned sheets find their list. Fonts are
DejaVu Sans Condensed, shipped in app/fonts, so accented and non-Latin names print as written.
"""

import asyncio
import io
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

import segno
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.models import Campaign, Turf, User, WalkListAssignment
from app.models.contact import RESULT_CODES
from app.schemas.walk_lists import PayloadQuestion, WalkListPayload
from app.services.access.tenancy import Tenant
from app.services.privacy import audit
from app.services.walk_lists import serving

FONTS = Path(__file__).resolve().parents[2] / "fonts"
Paper = Literal["letter", "a4"]

MARGIN = 10.0  # mm
ROW_H = 6.2
QR_SIZE = 18.0
SHADE = (236, 240, 246)  # every other door
# Widths (mm) of the fixed columns and of one answer box by question kind.
FIXED = {"Line": 9.0, "Address": 40.0, "Name": 36.0, "Age": 8.0, "Sex": 7.0, "Party": 10.0,
         "Result": 12.0}  # fmt: skip
ANSWER_W = {"single_choice": 9.0, "multiple_choice": 12.0, "number": 11.0, "text": 26.0}
KEEP_DOOR_TOGETHER = 8  # a door with at most this many people is not split across pages


@dataclass(frozen=True)
class SheetData:
    payload: WalkListPayload
    campaign: str
    turf: str
    canvassers: list[str]
    printed_on: date
    route_m: float | None = None
    route_minutes: float | None = None


def qr_text(list_id: int, page: int) -> str:
    """QR alphanumeric mode (capitals, digits, '/'), the densest for this content."""
    return f"DOORSTEP/WL/{list_id}/P/{page}"


class _Sheet(FPDF):
    def __init__(self, data: SheetData, paper: Paper, landscape: bool) -> None:
        super().__init__(orientation="L" if landscape else "P", unit="mm", format=paper.upper())
        self.data = data
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(auto=False)
        self.add_font("Sans", "", str(FONTS / "DejaVuSansCondensed.ttf"))
        self.add_font("Sans", "B", str(FONTS / "DejaVuSansCondensed-Bold.ttf"))
        self.set_title(f"Walk list {data.payload.number}")
        self.set_creator("Doorstep")
        self.columns = _columns(data.payload.survey.questions, self.w - 2 * MARGIN)

    # Every page: title block with the QR code, the column headings; the footer.
    def header(self) -> None:
        d, p = self.data, self.data.payload
        qr = segno.make(qr_text(p.id, self.page_no()), error="m")
        png = io.BytesIO()
        qr.save(png, kind="png", scale=4, border=1)
        self.image(png, x=self.w - MARGIN - QR_SIZE, y=MARGIN - 2, w=QR_SIZE, h=QR_SIZE)
        text_w = self.w - 2 * MARGIN - QR_SIZE - 2
        self.set_font("Sans", "B", 12)
        self.cell(text_w, 6, _fit(self, f"{d.campaign}: walk list {p.number}, {p.name}", text_w),
                  new_x=XPos.LMARGIN, new_y=YPos.NEXT)  # fmt: skip
        self.set_font("Sans", "", 8.5)
        route = (
            f"route {d.route_m / 1000:.1f} km, about {d.route_minutes:.0f} min"
            if d.route_m is not None and d.route_minutes is not None
            else "route: street order"
        )
        people = sum(len(s.people) for s in p.stops)
        lines = [
            f"Turf: {d.turf}    Printed: {d.printed_on.isoformat()}    "
            f"{len(p.stops)} doors, {people} people, {route}",
            "Canvassers: " + (", ".join(d.canvassers) if d.canvassers else "________________"),
        ]
        for line in lines:
            self.cell(text_w, 4.2, _fit(self, line, text_w), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_y(max(self.get_y(), MARGIN + QR_SIZE - 1))
        if self.page_no() == 1:
            self._legend()
        self._column_heads()

    def footer(self) -> None:
        self.set_text_shaping(False)
        self.set_y(-MARGIN)
        self.set_font("Sans", "", 7.5)
        self.cell(0, 4, f"Walk list {self.data.payload.number}    page {self.page_no()} of {{nb}}",
                  align="C")  # fmt: skip

    def _legend(self) -> None:
        width = self.w - 2 * MARGIN
        self.set_text_shaping(False)
        self.set_font("Sans", "B", 7.5)
        self.cell(18, 3.8, "Result codes", new_x=XPos.RIGHT)
        self.set_font("Sans", "", 7.5)
        codes = "   ".join(f"{c} {r.replace('_', ' ')}" for c, r in RESULT_CODES.items())
        self.multi_cell(width - 18, 3.8, codes, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        for q in self.data.payload.survey.questions:
            self.set_font("Sans", "B", 7.5)
            self.cell(18, 3.8, f"Q{q.number}", new_x=XPos.RIGHT)
            self.set_font("Sans", "", 7.5)
            options = "   ".join(f"{o.code} {o.label}" for o in q.options)
            hint = {"text": "(write the answer)", "number": "(write a number)"}.get(q.kind, "")
            text = f"{q.prompt}   {options or hint}"
            self.set_text_shaping(_needs_shaping(text))
            self.multi_cell(width - 18, 3.8, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1.5)

    def _column_heads(self) -> None:
        self.set_text_shaping(False)
        self.set_font("Sans", "B", 8)
        self.set_fill_color(210, 214, 220)
        for title, width in self.columns:
            self.cell(width, ROW_H, title, border=1, align="C", fill=True, new_x=XPos.RIGHT)
        self.ln(ROW_H)

    def bottom(self) -> float:
        return self.h - MARGIN - 5

    def door(self, stop: Any, shaded: bool) -> None:
        rows = len(stop.people)
        if self.get_y() + min(rows, KEEP_DOOR_TOGETHER) * ROW_H > self.bottom():
            self.add_page()
        address = stop.address + (f" #{stop.unit}" if stop.unit else "")
        self.set_fill_color(*(SHADE if shaded else (255, 255, 255)))
        top = self.get_y()
        for i, person in enumerate(stop.people):
            if self.get_y() + ROW_H > self.bottom():
                self.add_page()
                top = self.get_y()
            first_on_page = i == 0 or self.get_y() == top  # the address heads each door
            cells = [
                (str(person.line), "C", ""),
                (address if first_on_page else "", "L", "B"),
                (f"{person.last_name}, {person.first_name}", "L", ""),
                ("" if person.age is None else str(person.age), "C", ""),
                (person.sex or "", "C", ""),
                (person.party or "", "C", ""),
            ]
            for (text, align, style), (_, width) in zip(cells, self.columns, strict=False):
                self.set_font("Sans", style, 8)
                self.cell(width, ROW_H, _fit(self, text, width - 1), border="LR", align=align,
                          fill=True, new_x=XPos.RIGHT)  # fmt: skip
            for _, width in self.columns[len(cells) :]:  # the boxes to write in
                self.cell(width, ROW_H, "", border=1, fill=True, new_x=XPos.RIGHT)
            self.ln(ROW_H)
        # A firm line under each door groups its people.
        self.set_line_width(0.5)
        self.line(MARGIN, self.get_y(), MARGIN + sum(w for _, w in self.columns), self.get_y())
        self.set_line_width(0.2)


def _columns(questions: list[PayloadQuestion], page_w: float) -> list[tuple[str, float]]:
    """The columns, the spare width of the page shared by the address and the name."""
    answers = [(f"Q{q.number}", ANSWER_W[q.kind]) for q in questions]
    spare = max(0.0, page_w - sum(FIXED.values()) - sum(w for _, w in answers))
    fixed = dict(FIXED)
    fixed["Address"] += spare / 2
    fixed["Name"] += spare / 2
    return list(fixed.items()) + answers


def _needs_shaping(text: str) -> bool:
    """Right-to-left letters (Hebrew, Arabic) or combining marks: text HarfBuzz must shape.
    Shaping everything would triple the time of a long sheet, so only these go through it."""
    return not text.isascii() and any(
        unicodedata.bidirectional(c) in ("R", "AL") or unicodedata.combining(c) for c in text
    )


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """Cut text to the width, with an ellipsis, so that a long name never overruns its box.
    Shaping is switched on for the texts that need it (the width is then measured shaped)."""
    pdf.set_text_shaping(_needs_shaping(text))
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"


def render(data: SheetData, paper: Paper = "letter") -> bytes:
    """The PDF. Portrait unless the answer boxes need the width of a landscape page."""
    portrait_w = {"letter": 215.9, "a4": 210.0}[paper] - 2 * MARGIN
    needed = sum(FIXED.values()) + sum(ANSWER_W[q.kind] for q in data.payload.survey.questions)
    landscape = needed > portrait_w
    pdf = _Sheet(data, paper, landscape)
    pdf.add_page()
    for n, stop in enumerate(data.payload.stops):
        pdf.door(stop, shaded=n % 2 == 1)
    return bytes(pdf.output())


async def sheet_pdf(session: AsyncSession, tenant: Tenant, list_id: int, paper: Paper) -> bytes:
    """The list's printed walk sheet, as a PDF."""
    walk_list = await serving.get_visible(session, tenant, list_id)
    payload = await serving.payload_of(session, tenant, walk_list)
    people = sum(len(stop.people) for stop in payload.stops)
    await audit.record(
        session, tenant, "walk_list.sheet", "walk_list", [list_id], {"people": people}
    )
    campaign = await session.get(Campaign, tenant.campaign_id)
    turf = (
        await session.execute(
            select(col(Turf.name)).where(
                col(Turf.campaign_id) == tenant.campaign_id, col(Turf.id) == walk_list.turf_id
            )
        )
    ).scalar_one()
    canvassers = (
        await session.execute(
            select(col(User.name))
            .join(WalkListAssignment, col(WalkListAssignment.user_id) == col(User.id))
            .where(
                col(WalkListAssignment.campaign_id) == tenant.campaign_id,
                col(WalkListAssignment.walk_list_id) == list_id,
            )
            .order_by(col(User.name))
        )
    ).scalars()
    data = SheetData(
        payload=payload,
        campaign=campaign.name if campaign else "",
        turf=turf,
        canvassers=list(canvassers),
        printed_on=date.today(),
        route_m=walk_list.route_distance_m,
        route_minutes=walk_list.route_minutes,
    )
    # Layout and font subsetting are CPU work: keep them off the event loop.
    return await asyncio.to_thread(render, data, paper)
