"""Printed cards: due card messages become a batch per location — a PDF of A6
postcards (front: the message in the customer's language; back: the postal address)
and an A4 sheet of address labels — and are marked sent in the same transaction.

Files live under ``DATA_DIR/print/<batch public id>/`` (``cards.pdf``, ``labels.pdf``);
``PrintBatch.cards_path`` and ``labels_path`` are relative to ``DATA_DIR/print`` and
``batch_file`` is the only way back to them (it refuses anything outside that folder).

Rendering is WeasyPrint with the DejaVu fonts (Latin, Cyrillic) and a URL fetcher that
fetches nothing but ``data:`` URLs: a card never reaches the network or the disk.

Idempotent: a message already in a batch, or no longer waiting (queued, or claimed by
the sender), is skipped; the rows are locked and checked again in the transaction that
creates the batch, so two concurrent runs never print a card twice.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from weasyprint import HTML, Document  # type: ignore[import-untyped]
from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

from regulars.accounts.models import Location
from regulars.customers.models import Customer, CustomerKind
from regulars.outreach.models import Channel, Message, MessageStatus, PrintBatch
from regulars.outreach.vouchers import issue_for
from regulars.outreach.wording import render
from regulars.outreach.wording.names import language_of

log = logging.getLogger(__name__)

WAITING = (MessageStatus.QUEUED, MessageStatus.SENDING)  # queued, or claimed by the sender
NO_ADDRESS = "no_address"  # outreach.reasons.NO_ADDRESS
CARDS_FILE = "cards.pdf"
LABELS_FILE = "labels.pdf"
LABELS_PER_SHEET = 24  # 3 × 8 labels of 70 × 37 mm on A4
LABEL_COLUMNS = 3
LABEL_WIDTH_MM = 70
LABEL_HEIGHT_MM = 37
LABEL_TOP_MM = 0.5  # (297 − 8 × 37) / 2


@dataclass(frozen=True)
class Card:
    """One postcard: what the front says and where the back sends it."""

    message_id: int
    language: str
    body: str
    business: str
    sender: tuple[str, ...]  # the location's name and address lines
    recipient: tuple[str, ...]  # the customer's name and address lines

    @property
    def size(self) -> str:
        """The front's type size: long messages in smaller type, so every one fits."""
        length = len(self.body)
        return "large" if length <= 450 else ("medium" if length <= 700 else "small")


@dataclass(frozen=True)
class Label:
    left_mm: float
    top_mm: float
    lines: tuple[str, ...]


def print_root() -> Path:
    return (Path(settings.DATA_DIR) / "print").resolve()


def batch_file(batch: PrintBatch, which: str) -> Path | None:
    """The cards or labels PDF of ``batch`` (``which``: "cards" | "labels"), or None when
    it is missing or its stored path leads outside ``DATA_DIR/print``."""
    stored = batch.cards_path if which == "cards" else batch.labels_path
    if not stored:
        return None
    root = print_root()
    path = (root / stored).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


def no_network() -> URLFetcher:
    """WeasyPrint's fetcher, allowed nothing but inline ``data:`` URLs."""
    return URLFetcher(allowed_protocols={"data"}, allow_redirects=False, fail_on_errors=False)


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def recipient_name(customer: Customer) -> str:
    """The name on the envelope: the organisation's, else title, given and family name."""
    if customer.kind == CustomerKind.ORGANISATION and customer.organisation_name:
        return customer.organisation_name
    parts = (customer.title, customer.given_name, customer.family_name)
    return " ".join(p for p in parts if p) or customer.display_name


def card_for(message: Message) -> Card:
    """Render ``message`` for its card (issuing its voucher, once)."""
    customer, location = message.customer, message.location
    rendered = render(message, issue_for(message))
    return Card(
        message_id=message.pk,
        language=language_of(message.language, customer.language, location.language),
        body=rendered.body,
        business=location.name,
        sender=(location.name, *_lines(location.address)),
        recipient=(recipient_name(customer), *_lines(customer.postal_address)),
    )


def cards_document(cards: Sequence[Card]) -> Document:
    """Two A6 pages per card (front, back), laid out but not yet written."""
    html = render_to_string("outreach/card_pdf.html", {"cards": cards})
    return HTML(string=html, url_fetcher=no_network()).render()


def labels_document(cards: Sequence[Card]) -> Document:
    """A4 sheets of 3 × 8 address labels, one per card, in the order of the cards."""
    sheets: list[list[Label]] = []
    for index, card in enumerate(cards):
        slot = index % LABELS_PER_SHEET
        if slot == 0:
            sheets.append([])
        row, column = divmod(slot, LABEL_COLUMNS)
        sheets[-1].append(
            Label(
                left_mm=column * LABEL_WIDTH_MM,
                top_mm=LABEL_TOP_MM + row * LABEL_HEIGHT_MM,
                lines=card.recipient,
            )
        )
    html = render_to_string(
        "outreach/card_pdf_labels.html",
        {"sheets": sheets, "width": LABEL_WIDTH_MM, "height": LABEL_HEIGHT_MM},
    )
    return HTML(string=html, url_fetcher=no_network()).render()


def _cancel_without_address(messages: list[Message]) -> list[Message]:
    """Messages whose customer has no postal address are cancelled; the rest returned."""
    missing = [m.pk for m in messages if not m.customer.postal_address.strip()]
    if missing:
        Message.objects.filter(pk__in=missing, batch__isnull=True, status__in=WAITING).update(
            status=MessageStatus.CANCELLED,
            reason=NO_ADDRESS,
            reason_params={"channel": Channel.CARD},
        )
    return [m for m in messages if m.pk not in missing]


def _write(folder: Path, cards: Sequence[Card]) -> tuple[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    cards_document(cards).write_pdf(folder / CARDS_FILE)
    labels_document(cards).write_pdf(folder / LABELS_FILE)
    root = print_root()
    return (
        str((folder / CARDS_FILE).relative_to(root)),
        str((folder / LABELS_FILE).relative_to(root)),
    )


def _batch(location: Location, messages: list[Message], now: datetime) -> PrintBatch | None:
    messages = _cancel_without_address(messages)
    cards = {m.pk: card_for(m) for m in messages}
    if not cards:
        return None
    folder: Path | None = None
    try:
        with transaction.atomic():
            still = set(
                Message.objects.select_for_update()
                .filter(pk__in=list(cards), batch__isnull=True, status__in=WAITING)
                .values_list("pk", flat=True)
            )
            if not still:
                return None
            printed = [cards[pk] for pk in sorted(still)]
            batch = PrintBatch.objects.create(location=location, created_at=now, cards=0)
            folder = print_root() / batch.public_id
            batch.cards_path, batch.labels_path = _write(folder, printed)
            batch.cards = len(printed)
            batch.save(update_fields=["cards_path", "labels_path", "cards"])
            by_id = {m.pk: m for m in messages}
            rows: list[Message] = []
            for card in printed:
                message = by_id[card.message_id]
                message.status = MessageStatus.SENT
                message.sent_at = now
                message.batch = batch
                message.body = card.body
                message.subject = ""
                message.address = "\n".join(card.recipient[1:])[:254]
                message.error = ""
                rows.append(message)
            Message.objects.bulk_update(
                rows, ["status", "sent_at", "batch", "body", "subject", "address", "error"]
            )
    except BaseException:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    log.info("print batch %s: %d cards at %s", batch.public_id, batch.cards, location)
    return batch


def make_batches(messages: Sequence[Message], *, now: datetime) -> list[PrintBatch]:
    """One print batch per location for the card messages among ``messages`` that are
    still waiting and in no batch; each is marked sent (with its words and the batch).
    A customer without a postal address has their card cancelled (``no_address``).
    Calling it again with the same messages makes nothing."""
    ids = [m.pk for m in messages if m.channel == Channel.CARD and m.batch_id is None]
    if not ids:
        return []
    waiting = list(
        Message.objects.filter(
            pk__in=ids, channel=Channel.CARD, batch__isnull=True, status__in=WAITING
        )
        .select_related("customer", "location", "play", "arm")
        .order_by("location_id", "id")
    )
    batches: list[PrintBatch] = []
    for _location_id, group in groupby(waiting, key=lambda m: m.location_id):
        in_location = list(group)
        batch = _batch(in_location[0].location, in_location, now)
        if batch is not None:
            batches.append(batch)
    return batches


def due_cards(location: Location, *, now: datetime) -> QuerySet[Message]:
    """The card messages of ``location`` waiting to be printed now (the page's button)."""
    return Message.objects.filter(
        location=location,
        channel=Channel.CARD,
        status=MessageStatus.QUEUED,
        batch__isnull=True,
    ).exclude(send_after__gt=now)
