"""Printed cards: a batch per location with a PDF of A6 postcards (front and back per
card) and A4 address label sheets, read back from the files themselves; the messages
marked sent in the batch, exactly once; the download and "make a batch" permissions;
no file outside DATA_DIR/print and no network while rendering."""

from __future__ import annotations

import re
import threading
import zlib
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from weasyprint import HTML  # type: ignore[import-untyped]

from regulars.customers.models import AddressForm, Customer
from regulars.outreach.channels.print import (
    batch_file,
    card_for,
    cards_document,
    make_batches,
    no_network,
)
from regulars.outreach.models import Message, MessageStatus, PrintBatch
from tests.conftest import World
from tests.factories import CustomerFactory
from tests.outreach._wording_helpers import message_for

NOW = datetime(2026, 3, 18, 9, 0, tzinfo=UTC)
A6_POINTS = (297.64, 419.53)  # 105 × 148 mm
A4_POINTS = (595.28, 841.89)


@pytest.fixture(autouse=True)
def _data_dir(settings: Any, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path
    return tmp_path


# --- Reading a PDF back (no PDF library: WeasyPrint writes zlib streams) ---------------


def _streams(path: Path) -> list[bytes]:
    """The file itself and every zlib stream in it (each read up to its own end, so
    binary data that happens to contain "endstream" does not cut one short)."""
    data = path.read_bytes()
    found = [data]
    for match in re.finditer(rb"stream\r?\n", data):
        inflate = zlib.decompressobj()
        try:
            found.append(inflate.decompress(data[match.end() :]))
        except zlib.error:
            continue
    return found


def pdf_pages(path: Path) -> list[tuple[float, float]]:
    """The (width, height) in points of every page object of the PDF."""
    text = b"\n".join(_streams(path))
    pages = re.findall(rb"/Type\s*/Page(?![s\w])(.*?)(?:>>|/Type)", text, re.DOTALL)
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", text)
    assert len(boxes) == len(pages)
    return [(round(float(w), 2), round(float(h), 2)) for w, h in boxes]


def pdf_text(path: Path) -> str:
    """The text layer: every text run of every page, decoded with each font's ToUnicode
    map (the wrong font's map gives "?" and is harmless)."""
    streams = _streams(path)
    maps = [
        {
            int(glyph, 16): bytes.fromhex(chars.decode()).decode("utf-16-be")
            for glyph, chars in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]{4,})>", s)
        }
        for s in streams
        if b"beginbfchar" in s
    ]
    runs: list[str] = []
    for stream in streams:
        for array in re.findall(rb"\[(.*?)\]\s*TJ", stream, re.DOTALL):
            glyphs = [
                int(hexa[i : i + 4], 16)
                for hexa in re.findall(rb"<([0-9a-fA-F]+)>", array)
                for i in range(0, len(hexa), 4)
            ]
            runs += ["".join(m.get(g, "?") for g in glyphs) for m in maps]
    return "\n".join(runs)


# --- Fixtures --------------------------------------------------------------------------


def _anna(world: World) -> Customer:
    return CustomerFactory(
        given_name="Анна",
        family_name="Иванова",
        patronymic="Сергеевна",
        address_form=AddressForm.NAME_PATRONYMIC,
        language="ru",
        postal_address="ул. Ленина, 1\nМосква 101000",
        home_location=world.bologna,
    )


def _giulia(world: World, **fields: Any) -> Customer:
    values = {
        "given_name": "Giulia",
        "family_name": "Rossi",
        "language": "it",
        "postal_address": "Via Roma 1\n40100 Bologna",
        "home_location": world.bologna,
    }
    values.update(fields)
    return CustomerFactory(**values)


def _cards(world: World, customers: list[Customer], **fields: Any) -> list[Message]:
    return [message_for(c, world.bologna, channel="card", **fields) for c in customers]


# --- make_batches ----------------------------------------------------------------------


def test_a_batch_has_a_front_and_a_back_a6_page_per_card(world: World, tmp_path: Path) -> None:
    messages = _cards(world, [_anna(world), _giulia(world), _giulia(world, given_name="Luca")])
    (batch,) = make_batches(messages, now=NOW)
    cards = batch_file(batch, "cards")
    assert cards is not None
    assert pdf_pages(cards) == [A6_POINTS] * 6
    assert batch.cards == 3
    assert cards == (tmp_path / "print" / batch.public_id / "cards.pdf").resolve()


def test_the_cards_speak_cyrillic_in_their_text_layer(world: World) -> None:
    messages = _cards(world, [_anna(world)], voucher_kind="percent", voucher_value=Decimal(10))
    (batch,) = make_batches(messages, now=NOW)
    path = batch_file(batch, "cards")
    assert path is not None
    text = pdf_text(path)
    assert "Здравствуйте, Анна Сергеевна!" in text  # the front, in her language
    assert "Анна Иванова" in text
    assert "Москва 101000" in text
    assert "С днём рождения!" in text
    assert b"DejaVu" in b"".join(_streams(path))


def test_the_front_is_laid_out_before_writing_with_the_name(world: World) -> None:
    message = _cards(world, [_anna(world)])[0]
    document = cards_document([card_for(message)])
    assert len(document.pages) == 2
    width_mm = document.pages[0].width * 25.4 / 96
    height_mm = document.pages[0].height * 25.4 / 96
    assert (round(width_mm), round(height_mm)) == (105, 148)

    def texts(box: Any) -> list[str]:
        found = [box.text] if hasattr(box, "text") else []
        for child in getattr(box, "children", None) or []:
            found += texts(child)
        return found

    assert "Здравствуйте, Анна Сергеевна!" in texts(document.pages[0]._page_box)
    assert "Анна Иванова" in texts(document.pages[1]._page_box)


def test_labels_fill_a4_sheets_of_24(world: World) -> None:
    customers = [_giulia(world, given_name=f"Cliente{n}") for n in range(25)]
    (batch,) = make_batches(_cards(world, customers), now=NOW)
    labels = batch_file(batch, "labels")
    assert labels is not None
    assert pdf_pages(labels) == [A4_POINTS] * 2
    text = pdf_text(labels)
    assert "Cliente0 Rossi" in text
    assert "Cliente24 Rossi" in text
    cards = batch_file(batch, "cards")
    assert cards is not None
    assert len(pdf_pages(cards)) == 50


def test_printed_messages_are_sent_in_their_batch_with_their_words(world: World) -> None:
    messages = _cards(world, [_anna(world), _giulia(world)])
    (batch,) = make_batches(messages, now=NOW)
    for message in Message.objects.filter(pk__in=[m.pk for m in messages]):
        assert message.status == MessageStatus.SENT
        assert message.batch == batch
        assert message.sent_at == NOW
        assert message.body.strip()
        assert message.address
    assert Message.objects.get(pk=messages[0].pk).body.startswith("Здравствуйте, Анна Сергеевна!")


def test_a_second_call_prints_nothing_again(world: World, tmp_path: Path) -> None:
    messages = _cards(world, [_anna(world), _giulia(world)])
    assert len(make_batches(messages, now=NOW)) == 1
    assert make_batches(messages, now=NOW) == []
    fresh = list(Message.objects.filter(pk__in=[m.pk for m in messages]))
    assert make_batches(fresh, now=NOW) == []
    assert PrintBatch.objects.count() == 1
    assert len(list((tmp_path / "print").iterdir())) == 1


def test_one_batch_per_location(world: World) -> None:
    here = _cards(world, [_giulia(world)])
    there = [message_for(_giulia(world), world.copenhagen, channel="card")]
    batches = make_batches(here + there, now=NOW)
    assert sorted(b.location.name for b in batches) == ["Bologna", "Copenhagen"]
    assert all(b.cards == 1 for b in batches)


def test_only_waiting_card_messages_are_printed(world: World) -> None:
    claimed = _cards(world, [_giulia(world)], status=MessageStatus.SENDING)
    held = _cards(world, [_giulia(world)], status=MessageStatus.HELD)
    email = [message_for(_giulia(world), world.bologna, channel="email")]
    (batch,) = make_batches(claimed + held + email, now=NOW)
    assert batch.cards == 1
    assert Message.objects.get(pk=held[0].pk).status == MessageStatus.HELD
    assert Message.objects.get(pk=email[0].pk).status == MessageStatus.QUEUED


def test_a_card_without_a_postal_address_is_cancelled(world: World) -> None:
    nowhere = _cards(world, [_giulia(world, postal_address="")])
    assert make_batches(nowhere, now=NOW) == []
    message = Message.objects.get(pk=nowhere[0].pk)
    assert message.status == MessageStatus.CANCELLED
    assert message.reason == "no_address"


# --- No network, no stray files --------------------------------------------------------


def test_rendering_fetches_nothing_from_the_network() -> None:
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        html = (
            f'<link rel="stylesheet" href="{base}/style.css">'
            f'<p>Hi <img src="{base}/pixel.png"></p>'
            f'<p style="background: url({base}/bg.png)">x</p>'
        )
        document = HTML(string=html, url_fetcher=no_network()).render()
        assert len(document.pages) == 1
        with pytest.raises(ValueError, match="disallowed protocol"):
            no_network().fetch(f"{base}/direct.png")
        with pytest.raises(ValueError, match="disallowed protocol"):
            no_network().fetch("file:///etc/passwd")
    finally:
        server.shutdown()
        server.server_close()
    assert hits == []


def test_a_stored_path_outside_the_print_folder_is_never_served(
    world: World, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.pdf"
    secret.write_bytes(b"%PDF-1.7 secret")
    batch = PrintBatch.objects.create(
        location=world.bologna, cards=1, cards_path="../secret.pdf", labels_path=str(secret)
    )
    assert batch_file(batch, "cards") is None
    assert batch_file(batch, "labels") is None
    client = world.client("manager")
    assert client.get(reverse("outreach:print_cards", args=[batch.public_id])).status_code == 404
    assert client.get(reverse("outreach:print_labels", args=[batch.public_id])).status_code == 404
    (tmp_path / "print").mkdir(exist_ok=True)
    (tmp_path / "print" / "link.pdf").symlink_to(secret)
    batch.cards_path = "link.pdf"
    batch.save()
    assert batch_file(batch, "cards") is None


def test_a_made_up_batch_id_is_not_found(world: World) -> None:
    client = world.client("owner")
    for public_id in ("nope", "..", "..%2F..%2Fsecret"):
        response = client.get(f"/outreach/print/{public_id}/cards.pdf")
        assert response.status_code == 404


# --- Pages ------------------------------------------------------------------------------


@pytest.fixture
def batch(world: World) -> PrintBatch:
    (made,) = make_batches(_cards(world, [_giulia(world)]), now=NOW)
    return made


@pytest.mark.parametrize(
    ("persona", "status"),
    [("owner", 200), ("manager", 200), ("staff", 200), ("outsider", 403)],
)
def test_staff_of_the_location_download_its_batch(
    world: World, batch: PrintBatch, persona: str, status: int
) -> None:
    client = world.client(persona)
    for name in ("print_cards", "print_labels"):
        response = client.get(reverse(f"outreach:{name}", args=[batch.public_id]))
        assert response.status_code == status
        if status == 200:
            assert response["Content-Type"] == "application/pdf"
            assert b"".join(response.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]


def test_staff_elsewhere_cannot_download_a_batch(world: World) -> None:
    (there,) = make_batches(
        [message_for(_giulia(world), world.copenhagen, channel="card")], now=NOW
    )
    url = reverse("outreach:print_cards", args=[there.public_id])
    assert world.client("staff").get(url).status_code == 403
    assert world.client("manager").get(url).status_code == 403
    assert world.client("owner").get(url).status_code == 200


def test_anonymous_visitors_download_nothing(world: World, batch: PrintBatch) -> None:
    response = world.client("anonymous").get(
        reverse("outreach:print_cards", args=[batch.public_id])
    )
    assert response.status_code == 302


def test_the_list_shows_the_batches_and_the_button_to_managers(
    world: World, batch: PrintBatch
) -> None:
    _cards(world, [_giulia(world), _giulia(world)])
    manager = world.client("manager").get(reverse("outreach:print")).content.decode()
    assert f'data-batch="{batch.public_id}"' in manager
    assert 'data-due="2"' in manager
    assert 'data-testid="print-make"' in manager
    staff = world.client("staff").get(reverse("outreach:print"))
    assert staff.status_code == 200
    assert f'data-batch="{batch.public_id}"' in staff.content.decode()
    assert 'data-testid="print-make"' not in staff.content.decode()
    assert world.client("outsider").get(reverse("outreach:print")).status_code == 403


def test_make_a_batch_now_prints_the_due_cards_of_the_location(world: World) -> None:
    waiting = _cards(world, [_giulia(world), _anna(world)])
    elsewhere = [message_for(_giulia(world), world.copenhagen, channel="card")]
    assert (
        world.client("staff")
        .post(reverse("outreach:print_make"), {"location": world.bologna.pk})
        .status_code
        == 403
    )
    response = world.client("manager").post(
        reverse("outreach:print_make"), {"location": world.bologna.pk}
    )
    assert response.status_code == 302
    (batch,) = PrintBatch.objects.all()
    assert batch.location == world.bologna
    assert batch.cards == 2
    assert set(Message.objects.filter(batch=batch).values_list("pk", flat=True)) == {
        m.pk for m in waiting
    }
    assert Message.objects.get(pk=elsewhere[0].pk).status == MessageStatus.QUEUED
    refused = world.client("manager").post(
        reverse("outreach:print_make"), {"location": world.copenhagen.pk}
    )
    assert refused.status_code == 403


def test_the_list_reads_the_same_few_queries_however_many_batches(world: World) -> None:
    client = world.client("manager")
    PrintBatch.objects.create(location=world.bologna, cards=1)
    client.get(reverse("outreach:print"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("outreach:print"))
    for _ in range(4):
        PrintBatch.objects.create(location=world.bologna, cards=2)
    with CaptureQueriesContext(connection) as five:
        page = client.get(reverse("outreach:print")).content.decode()
    assert len(five) == len(one)
    assert page.count("data-batch=") == 5
