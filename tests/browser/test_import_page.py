"""An owner imports a CSV from the web: check first, then import for real, report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from regulars.customers.models import Customer
from tests.browser.conftest import SignIn

pytestmark = pytest.mark.browser

CSV = (
    "Nome,Cognome,Telefono,Email,Data di nascita\n"
    "Giuseppe,Verdi,+39 333 123 4567,gv@example.it,10/10/1980\n"
    "Søren,Kierkegaard,0045 20 12 34 56,,05/05\n"
    "Bad,Phone,12,,31/02/1990\n"
)


def test_an_owner_checks_then_imports_a_file_and_gets_the_bad_rows(
    sign_in: SignIn, world: Any, tmp_path: Path
) -> None:
    source = tmp_path / "clienti.csv"
    source.write_text(CSV, encoding="utf-8")
    page = sign_in("owner")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Import").click()
    page.locator("input[type=file]").set_input_files(str(source))
    page.get_by_role("button", name="Upload and check").click()

    # The dry run writes nothing and offers the real import.
    real = page.get_by_role("button", name="Import for real")
    expect(real).to_be_visible(timeout=20_000)
    assert Customer.objects.count() == 0

    real.click()
    expect(page.get_by_text("Finished")).to_be_visible(timeout=20_000)
    names = sorted(Customer.objects.values_list("given_name", flat=True))
    assert names == ["Giuseppe", "Søren"]

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the bad rows (CSV)").click()
    report = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "Bad,Phone,12" in report
    assert report.splitlines()[1].startswith("4,")
