"""Which column of a CSV file holds which field: header aliases in five languages,
presets for common point-of-sale exports, and the resolution of a header row.

Header names are compared by their *key*: case-folded, accents and every
non-alphanumeric character removed ("E-mail" → "email", "Teléfono" → "telefono",
"first_name" → "firstname"), so spelling variants need no separate alias.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from regulars.customers.importers.base import ImportFailure, ImportKind

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# field name -> aliases (en, it, da, ru, es). A field's own name is always an alias too.
# fmt: off
_COMMON: dict[str, tuple[str, ...]] = {
    "external_ref": (
        "Customer ID", "Customer number", "Customer no", "Client ID", "Reference ID",
        "Square Customer ID", "Loyalty ID", "Member ID", "Card number", "Codice cliente",
        "ID cliente", "Numero cliente", "Cod. cliente", "Tessera", "Kundenummer", "Kunde ID",
        "Kundenr", "Medlemsnummer", "Номер клиента", "ID клиента", "Код клиента", "Номер карты",
        "Código de cliente", "Código cliente", "ID de cliente", "Número de cliente",
    ),
    "phone": (
        "Phone", "Phone number", "Telephone", "Tel", "Contact number", "Default Address Phone",
        "Telefono", "Numero di telefono", "Recapito telefonico", "Telefon", "Telefonnummer", "Tlf",
        "Tlf nr", "Телефон", "Номер телефона", "Тел", "Teléfono", "Número de teléfono",
    ),
    "mobile": (
        "Mobile", "Mobile phone", "Mobile number", "Cell", "Cell phone", "Cellphone", "Cellulare",
        "Numero di cellulare", "Mobil", "Mobilnummer", "Mobiltelefon", "Мобильный",
        "Мобильный телефон", "Сотовый", "Móvil", "Celular", "Teléfono móvil",
    ),
    "email": (
        "Email", "E-mail", "Email address", "Mail", "Indirizzo email", "Posta elettronica",
        "E-mailadresse", "E-post", "Эл. почта", "Электронная почта", "Почта", "Correo",
        "Correo electrónico",
    ),
}

CUSTOMER_ALIASES: dict[str, tuple[str, ...]] = {
    **_COMMON,
    "given_name": (
        "First name", "Given name", "Forename", "Firstname", "Nome", "Nome di battesimo",
        "Fornavn", "Имя", "Nombre", "Nombre de pila",
    ),
    "family_name": (
        "Last name", "Surname", "Family name", "Lastname", "Cognome", "Efternavn", "Фамилия",
        "Apellido", "Apellidos",
    ),
    "patronymic": (
        "Patronymic", "Patronimico", "Отчество", "Patronímico",
    ),
    "full_name": (
        "Name", "Full name", "Customer name", "Customer", "Contact name", "Nome completo",
        "Nominativo", "Nome e cognome", "Nome cliente", "Navn", "Fulde navn", "Kundenavn",
        "Имя и фамилия", "Полное имя", "Клиент", "Nombre completo", "Nombre y apellidos",
        "Nombre del cliente",
    ),
    "full_name_fio": (
        "ФИО", "Ф.И.О.",
    ),
    "preferred_name": (
        "Nickname", "Preferred name", "Known as", "Soprannome", "Kaldenavn", "Прозвище", "Apodo",
    ),
    "organisation_name": (
        "Company", "Company name", "Organisation", "Organization", "Business",
        "Default Address Company", "Azienda", "Ragione sociale", "Società", "Firma", "Virksomhed",
        "Firmanavn", "Компания", "Организация", "Empresa", "Razón social",
    ),
    "title": (
        "Title", "Salutation", "Titolo", "Titel", "Обращение", "Título", "Tratamiento",
    ),
    "birthday": (
        "Birthday", "Birth date", "Date of birth", "DOB", "Birthdate", "Data di nascita",
        "Compleanno", "Fødselsdag", "Fødselsdato", "Дата рождения", "День рождения",
        "Fecha de nacimiento", "Cumpleaños",
    ),
    "tags": (
        "Tags", "Tag", "Groups", "Group", "Labels", "Segments", "Etichette", "Gruppi", "Gruppo",
        "Grupper", "Gruppe", "Mærker", "Теги", "Метки", "Группы", "Группа", "Etiquetas", "Grupos",
        "Grupo",
    ),
    "notes": (
        "Notes", "Note", "Memo", "Comments", "Comment", "Remarks", "Annotazioni", "Commenti",
        "Note cliente", "Noter", "Bemærkninger", "Kommentar", "Заметки", "Примечание",
        "Примечания", "Комментарий", "Notas", "Nota", "Comentarios", "Observaciones",
    ),
    "language": (
        "Language", "Lingua", "Sprog", "Язык", "Idioma",
    ),
    "address": (
        "Address", "Street address", "Street", "Postal address", "Address 1", "Address line 1",
        "Default Address Address1", "Street Address 1", "Indirizzo", "Via", "Adresse", "Vejnavn",
        "Адрес", "Улица", "Dirección", "Calle",
    ),
    "address2": (
        "Address 2", "Address line 2", "Default Address Address2", "Street Address 2",
        "Indirizzo 2", "Adresse 2", "Адрес 2", "Dirección 2",
    ),
    "postcode": (
        "Postcode", "Postal code", "Zip", "Zip code", "Default Address Zip", "CAP", "Postnummer",
        "Postnr", "Индекс", "Почтовый индекс", "Código postal",
    ),
    "city": (
        "City", "Town", "Default Address City", "Città", "Comune", "By", "Город", "Ciudad",
        "Localidad",
    ),
    "country": (
        "Country", "Default Address Country Code", "Paese", "Nazione", "Land", "Страна", "País",
    ),
    "first_met_on": (
        "Customer since", "First visit", "Date added", "Created", "Created at", "Signup date",
        "Cliente dal", "Data registrazione", "Data iscrizione", "Prima visita", "Kunde siden",
        "Oprettet", "Første besøg", "Клиент с", "Дата регистрации", "Первый визит",
        "Cliente desde", "Fecha de alta", "Fecha de registro", "Primera visita",
    ),
}

VISIT_ALIASES: dict[str, tuple[str, ...]] = {
    **_COMMON,
    "date": (
        "Date", "Visit date", "Date/time", "Datetime", "Timestamp", "Sale date", "Order date",
        "Transaction date", "Created at", "Paid at", "Data", "Data visita", "Data vendita",
        "Data e ora", "Dato", "Besøgsdato", "Salgsdato", "Tidspunkt", "Дата", "Дата визита",
        "Дата продажи", "Дата и время", "Fecha", "Fecha de visita", "Fecha de venta",
        "Fecha y hora",
    ),
    "time": (
        "Time", "Ora", "Orario", "Tid", "Klokkeslæt", "Время", "Hora",
    ),
    "amount": (
        "Amount", "Total", "Total amount", "Sum", "Spend", "Gross sales", "Net total", "Importo",
        "Totale", "Importo totale", "Beløb", "Total beløb", "I alt", "Сумма", "Итого", "Итог",
        "Importe", "Importe total",
    ),
    "items": (
        "Items", "Products", "Item", "What they had", "Description", "Lineitem name", "Articoli",
        "Prodotti", "Consumazioni", "Varer", "Produkter", "Товары", "Позиции", "Заказ",
        "Artículos", "Productos", "Consumo",
    ),
    "location": (
        "Location", "Store", "Shop", "Branch", "Outlet", "Sede", "Negozio", "Punto vendita",
        "Filiale", "Butik", "Afdeling", "Филиал", "Магазин", "Точка", "Tienda", "Sucursal",
        "Local",
    ),
    "staff": (
        "Staff", "Employee", "Served by", "Cashier", "Team member", "Operatore", "Dipendente",
        "Cassiere", "Personale", "Medarbejder", "Ekspedient", "Personale", "Сотрудник", "Кассир",
        "Персонал", "Empleado", "Cajero", "Personal", "Atendido por",
    ),
    "wait_minutes": (
        "Wait", "Wait time", "Waiting time", "Wait (min)", "Wait minutes", "Attesa",
        "Tempo di attesa", "Attesa (min)", "Ventetid", "Ventetid (min)", "Ожидание",
        "Время ожидания", "Ожидание (мин)", "Espera", "Tiempo de espera", "Espera (min)",
    ),
    "wait_seconds": (
        "Wait (s)", "Wait seconds", "Wait (sec)", "Attesa (s)", "Ventetid (sek)", "Ожидание (сек)",
        "Espera (s)",
    ),
    "note": (
        "Note", "Notes", "Comment", "Comments", "Memo", "Annotazioni", "Commenti", "Noter",
        "Bemærkninger", "Kommentar", "Примечание", "Комментарий", "Nota", "Notas", "Comentarios",
        "Observaciones",
    ),
    "receipt": (
        "Receipt", "Receipt ID", "Receipt number", "Receipt no", "Transaction ID", "Order ID",
        "Order number", "Sale ID", "Ticket ID", "Payment ID", "Scontrino", "Numero scontrino",
        "N. scontrino", "ID transazione", "Kvittering", "Kvitteringsnummer", "Bon", "Bonnummer",
        "Чек", "Номер чека", "Номер заказа", "Recibo", "Número de recibo", "Ticket",
        "Número de ticket",
    ),
}
# fmt: on

# Fields a file must have at least one of (per group), with a translated description.
REQUIRED: dict[ImportKind, tuple[tuple[frozenset[str], str], ...]] = {
    ImportKind.CUSTOMERS: (
        (
            frozenset(
                {
                    "given_name",
                    "family_name",
                    "full_name",
                    "full_name_fio",
                    "organisation_name",
                    "preferred_name",
                }
            ),
            "name",
        ),
    ),
    ImportKind.VISITS: ((frozenset({"date"}), "date"),),
}

# Presets: header name -> field, for exports whose column names are known exactly.
# A preset is used as given: its columns must be there, other columns are ignored.
PRESETS: dict[ImportKind, dict[str, dict[str, str]]] = {
    ImportKind.CUSTOMERS: {
        "generic-pos": {
            "Customer ID": "external_ref",
            "First Name": "given_name",
            "Last Name": "family_name",
            "Email": "email",
            "Phone": "phone",
            "Birthday": "birthday",
            "Tags": "tags",
            "Notes": "notes",
        },
        "square": {
            "Square Customer ID": "external_ref",
            "First Name": "given_name",
            "Last Name": "family_name",
            "Email Address": "email",
            "Phone Number": "phone",
            "Nickname": "preferred_name",
            "Company Name": "organisation_name",
            "Street Address 1": "address",
            "Street Address 2": "address2",
            "City": "city",
            "Postal Code": "postcode",
            "Birthday": "birthday",
            "Memo": "notes",
            "Groups": "tags",
        },
        "shopify": {
            "Customer ID": "external_ref",
            "First Name": "given_name",
            "Last Name": "family_name",
            "Email": "email",
            "Phone": "phone",
            "Default Address Company": "organisation_name",
            "Default Address Address1": "address",
            "Default Address Address2": "address2",
            "Default Address City": "city",
            "Default Address Zip": "postcode",
            "Default Address Country Code": "country",
            "Note": "notes",
            "Tags": "tags",
        },
    },
    ImportKind.VISITS: {
        "generic-pos": {
            "Receipt ID": "receipt",
            "Customer ID": "external_ref",
            "Date": "date",
            "Time": "time",
            "Amount": "amount",
            "Items": "items",
            "Location": "location",
            "Staff": "staff",
            "Note": "note",
        },
        "square": {
            "Transaction ID": "receipt",
            "Customer Reference ID": "external_ref",
            "Date": "date",
            "Time": "time",
            "Gross Sales": "amount",
            "Description": "items",
            "Location": "location",
            "Team Member": "staff",
        },
        "shopify": {
            "Name": "receipt",
            "Email": "email",
            "Phone": "phone",
            "Created at": "date",
            "Total": "amount",
            "Lineitem name": "items",
            "Location": "location",
            "Notes": "note",
        },
    },
}

AUTO = "auto"

# What each field is, for the help table of the import page.
FIELD_LABELS: dict[str, StrOrPromise] = {
    "external_ref": gettext_lazy("Customer id in the point of sale"),
    "phone": gettext_lazy("Phone"),
    "mobile": gettext_lazy("Mobile phone"),
    "email": gettext_lazy("Email"),
    "given_name": gettext_lazy("Given name"),
    "family_name": gettext_lazy("Family name"),
    "patronymic": gettext_lazy("Patronymic"),
    "full_name": gettext_lazy("Full name (given names, then family name)"),
    "full_name_fio": gettext_lazy("Full name, family name first (ФИО)"),
    "preferred_name": gettext_lazy("Preferred name"),
    "organisation_name": gettext_lazy("Organisation"),
    "title": gettext_lazy("Title"),
    "birthday": gettext_lazy("Birthday"),
    "tags": gettext_lazy("Tags, separated by ; or ,"),
    "notes": gettext_lazy("Notes"),
    "language": gettext_lazy("Language"),
    "address": gettext_lazy("Street address"),
    "address2": gettext_lazy("Address, second line"),
    "postcode": gettext_lazy("Postcode"),
    "city": gettext_lazy("City"),
    "country": gettext_lazy("Country"),
    "first_met_on": gettext_lazy("Customer since"),
    "date": gettext_lazy("Date of the visit (with or without the time)"),
    "time": gettext_lazy("Time of the visit"),
    "amount": gettext_lazy("Amount spent"),
    "items": gettext_lazy("What they had"),
    "location": gettext_lazy("Location (name)"),
    "staff": gettext_lazy("Served by (user name)"),
    "wait_minutes": gettext_lazy("Queue wait in minutes (or mm:ss)"),
    "wait_seconds": gettext_lazy("Queue wait in seconds"),
    "note": gettext_lazy("Note"),
    "receipt": gettext_lazy("Receipt number"),
}


def header_key(text: str) -> str:
    """The comparison key of a header name: case-folded letters and digits, no accents."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if ch.isalnum() and not unicodedata.combining(ch))


def _alias_index(aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    index: dict[str, str] = {}
    for name, names in aliases.items():
        for alias in (name, *names):
            index.setdefault(header_key(alias), name)
    return index


_INDEX: dict[ImportKind, dict[str, str]] = {
    ImportKind.CUSTOMERS: _alias_index(CUSTOMER_ALIASES),
    ImportKind.VISITS: _alias_index(VISIT_ALIASES),
}


def known_fields(kind: ImportKind) -> tuple[str, ...]:
    return tuple(CUSTOMER_ALIASES if kind == ImportKind.CUSTOMERS else VISIT_ALIASES)


def preset_names(kind: ImportKind) -> list[str]:
    return sorted(PRESETS[kind])


@dataclass(frozen=True)
class ColumnMap:
    """Where each field is in a row: ``columns[field]`` is the column index."""

    kind: ImportKind
    header: tuple[str, ...]
    columns: dict[str, int]
    ignored: tuple[str, ...] = ()  # header names no field was found for
    notes: tuple[str, ...] = field(default=())  # translated warnings for the summary

    def column_name(self, name: str) -> str:
        index = self.columns.get(name)
        return self.header[index] if index is not None else ""


def _parse_custom(spec: str, kind: ImportKind) -> dict[str, str]:
    """ "Cell=mobile; Nome=given_name" → {header key: field}."""
    fields = set(known_fields(kind))
    wanted: dict[str, str] = {}
    for part in spec.replace("\n", ";").split(";"):
        if not part.strip():
            continue
        header, sep, name = part.rpartition("=")
        name = name.strip()
        if not sep or not header.strip() or name not in fields:
            raise ImportFailure(
                _(
                    "The column mapping “%(part)s” is not understood. Write it as "
                    "“Column name=field”, with a field among: %(fields)s."
                )
                % {"part": part.strip()[:80], "fields": ", ".join(sorted(fields))}
            )
        wanted[header_key(header)] = name
    return wanted


def resolve_columns(header: Sequence[str], kind: ImportKind, mapping: str = AUTO) -> ColumnMap:
    """Map a header row to fields, or raise ImportFailure naming what is missing.

    ``mapping`` is "auto" (recognise the header names), a preset name, or a custom
    "Column=field; Column=field" list applied on top of the automatic recognition.
    """
    names = tuple(h.strip() for h in header)
    if not any(names):
        raise ImportFailure(_("The first line of the file is empty: it must name the columns."))
    mapping = (mapping or AUTO).strip()
    preset = PRESETS[kind].get(mapping.lower())
    if preset is not None:
        lookup = {header_key(h): f for h, f in preset.items()}
        missing = [h for h in preset if header_key(h) not in {header_key(n) for n in names}]
        if missing:
            raise ImportFailure(
                _("The file does not look like a “%(preset)s” export: missing columns %(cols)s.")
                % {"preset": mapping, "cols": ", ".join(f"“{m}”" for m in missing)}
            )
    elif mapping.lower() == AUTO:
        lookup = _INDEX[kind]
    elif "=" in mapping:
        lookup = {**_INDEX[kind], **_parse_custom(mapping, kind)}
    else:
        raise ImportFailure(
            _("Unknown column mapping “%(name)s”. Choose auto or one of: %(names)s.")
            % {"name": mapping[:40], "names": ", ".join(preset_names(kind))}
        )

    columns: dict[str, int] = {}
    ignored: list[str] = []
    notes: list[str] = []
    for index, name in enumerate(names):
        target = lookup.get(header_key(name)) if name else None
        if target is None:
            if name:
                ignored.append(name)
            continue
        if target in columns:
            notes.append(
                _(
                    "Columns “%(first)s” and “%(second)s” hold the same field; “%(second)s” was ignored."
                )
                % {"first": names[columns[target]], "second": name}
            )
            continue
        columns[target] = index
    if not columns:
        raise ImportFailure(
            _("None of the columns is known (%(found)s). Name them for example %(examples)s.")
            % {
                "found": ", ".join(f"“{n}”" for n in names if n)[:300],
                "examples": _examples(kind),
            }
        )
    for group, what in REQUIRED[kind]:
        if not group & columns.keys():
            raise ImportFailure(_missing_message(kind, what))
    if ignored:
        notes.append(
            _("These columns were not recognised and were ignored: %(cols)s.")
            % {"cols": ", ".join(f"“{n}”" for n in ignored)[:500]}
        )
    return ColumnMap(
        kind=kind, header=names, columns=columns, ignored=tuple(ignored), notes=tuple(notes)
    )


def _examples(kind: ImportKind) -> str:
    if kind == ImportKind.CUSTOMERS:
        return "“First Name”, “Last Name”, “Phone”, “Email”"
    return "“Date”, “Customer ID”, “Amount”, “Items”"


def _missing_message(kind: ImportKind, what: str) -> str:
    if what == "name":
        return _(
            "The file has no column for the customer's name. Add one named for example "
            "“First Name”, “Last Name”, “Name” or “Company” (or “Nome”, “Fornavn”, “Имя”, "
            "“Nombre”)."
        )
    return _(
        "The file has no column for the date of the visit. Add one named for example "
        "“Date” (or “Data”, “Dato”, “Дата”, “Fecha”)."
    )
