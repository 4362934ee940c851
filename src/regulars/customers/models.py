"""Customer memory: people and organisations, their household, pets, preferences,
phones, tags, organisation contacts and consent history."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from regulars.accounts.models import Location
from regulars.core.ids import new_public_id
from regulars.core.models import Fact, Source


class Gifts(models.TextChoices):
    """What a customer accepts beyond a greeting (outreach honours it)."""

    WELCOME = "", _("Greetings and small gifts")
    NO_GIFTS = "no_gifts", _("No gifts, please")  # greetings and cards, never a voucher
    JUST_WORDS = "words", _("Just words")  # an e-mail or text; no voucher, card or call


class CustomerKind(models.TextChoices):
    PERSON = "person", _("Person")
    ORGANISATION = "organisation", _("Organisation")


class AddressForm(models.TextChoices):
    FORMAL = "formal", _("Formal")
    INFORMAL = "informal", _("Informal")
    FIRST_NAME = "first_name", _("First name")
    TITLE_SURNAME = "title_surname", _("Title and surname")
    NAME_PATRONYMIC = "name_patronymic", _("Name and patronymic")


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=40)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="tag_name_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    """One customer: a person, or an organisation with people in it (B2B).

    Scalar personal fields record their provenance in ``provenance``:
    ``{field: {"source": Source, "by": user id or None, "at": ISO timestamp}}``.
    ``visit_count``, ``first_visit_at`` and ``last_visit_at`` are kept by
    ``service.services`` whenever visits are written, so lists need no aggregate.
    """

    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    kind = models.CharField(
        _("kind"), max_length=12, choices=CustomerKind.choices, default=CustomerKind.PERSON
    )
    given_name = models.CharField(_("given name"), max_length=100, blank=True)
    family_name = models.CharField(_("family name"), max_length=100, blank=True)
    patronymic = models.CharField(_("patronymic"), max_length=100, blank=True)
    preferred_name = models.CharField(_("preferred name"), max_length=100, blank=True)
    organisation_name = models.CharField(_("organisation name"), max_length=200, blank=True)
    title = models.CharField(_("title"), max_length=40, blank=True)
    address_form = models.CharField(
        _("form of address"),
        max_length=16,
        choices=AddressForm.choices,
        default=AddressForm.FORMAL,
    )
    language = models.CharField(_("language"), max_length=5, choices=settings.LANGUAGES, blank=True)
    email = models.EmailField(_("email"), max_length=254, blank=True)
    postal_address = models.TextField(_("postal address"), blank=True)
    birth_month = models.PositiveSmallIntegerField(_("birth month"), null=True, blank=True)
    birth_day = models.PositiveSmallIntegerField(_("birth day"), null=True, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("birth year"), null=True, blank=True)
    nameday_month = models.PositiveSmallIntegerField(_("name day month"), null=True, blank=True)
    nameday_day = models.PositiveSmallIntegerField(_("name day day"), null=True, blank=True)
    first_met_on = models.DateField(_("first met on"), null=True, blank=True)
    how_met = models.CharField(_("how we met"), max_length=200, blank=True)
    home_location = models.ForeignKey(
        Location,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="customers",
        verbose_name=_("home location"),
    )
    notes = models.TextField(_("notes"), blank=True)
    gifts = models.CharField(
        _("gifts and offers"), max_length=8, choices=Gifts.choices, blank=True, default=""
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="customers", verbose_name=_("tags"))
    external_ref = models.CharField(_("point-of-sale id"), max_length=64, blank=True)
    # Content hash of the import row that created this customer: re-runs find it again.
    import_key = models.CharField(max_length=40, null=True, blank=True, unique=True)
    provenance = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    visit_count = models.PositiveIntegerField(default=0)
    first_visit_at = models.DateTimeField(null=True, blank=True)
    last_visit_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["family_name", "given_name", "id"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            # Import and quick-add dedupe: "is there already a customer with this email?"
            models.Index(fields=["email"], name="customer_email"),
            # Import dedupe by the point-of-sale's own customer id.
            models.Index(fields=["external_ref"], name="customer_external_ref"),
            # Customer list sorted by last visit (the default order of the list page).
            # SQLite puts NULL last in DESC already; PostgreSQL gets a NULLS LAST twin of
            # this index in migration 0002 (SQLite cannot declare NULLS LAST in an index).
            models.Index(fields=["-last_visit_at", "id"], name="customer_last_visit"),
            # Customer list filtered by location, newest visit first.
            models.Index(fields=["home_location", "-last_visit_at"], name="customer_loc_visit"),
            # Customer list sorted by name.
            models.Index(fields=["family_name", "given_name", "id"], name="customer_name"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.kind == CustomerKind.ORGANISATION and self.organisation_name:
            return self.organisation_name
        name = " ".join(p for p in (self.given_name, self.family_name) if p)
        return name or self.organisation_name or self.preferred_name or self.public_id

    @property
    def is_organisation(self) -> bool:
        return self.kind == CustomerKind.ORGANISATION

    def set_provenance(self, fields: list[str], *, source: str, by: Any) -> None:
        stamp = {
            "source": source,
            "by": getattr(by, "pk", None),
            "at": timezone.now().isoformat(timespec="seconds"),
        }
        for name in fields:
            self.provenance[name] = stamp


class PhoneLabel(models.TextChoices):
    MOBILE = "mobile", _("Mobile")
    HOME = "home", _("Home")
    WORK = "work", _("Work")
    OTHER = "other", _("Other")


class Phone(Fact):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="phones")
    number = models.CharField(_("number"), max_length=20)  # E.164
    label = models.CharField(
        _("label"), max_length=10, choices=PhoneLabel.choices, default=PhoneLabel.MOBILE
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "number"], name="phone_once_per_customer")
        ]
        indexes = [
            # Import and quick-add dedupe: "whose is this phone number?"
            models.Index(fields=["number"], name="phone_number"),
        ]

    def __str__(self) -> str:
        return self.number


class Relation(models.TextChoices):
    PARTNER = "partner", _("Partner")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    COLLEAGUE = "colleague", _("Colleague")
    OTHER = "other", _("Other")


class HouseholdMember(Fact):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="household")
    name = models.CharField(_("name"), max_length=100)
    relation = models.CharField(
        _("relation"), max_length=10, choices=Relation.choices, default=Relation.OTHER
    )
    birth_month = models.PositiveSmallIntegerField(_("birth month"), null=True, blank=True)
    birth_day = models.PositiveSmallIntegerField(_("birth day"), null=True, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("birth year"), null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Pet(Fact):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="pets")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=40, blank=True)
    birth_month = models.PositiveSmallIntegerField(_("birth month"), null=True, blank=True)
    birth_day = models.PositiveSmallIntegerField(_("birth day"), null=True, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("birth year"), null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class CustomOccasion(Fact):
    """A date the customer cares about that is not a birthday or name day: a wedding
    anniversary, the day their shop opened, a child's first day at school."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="occasions")
    label = models.CharField(_("occasion"), max_length=100)
    month = models.PositiveSmallIntegerField(_("month"))
    day = models.PositiveSmallIntegerField(_("day"))
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)

    class Meta:
        ordering = ["month", "day", "id"]

    def __str__(self) -> str:
        return f"{self.label} {self.month:02d}-{self.day:02d}"


class NameDayEntry(models.Model):
    """A name day from a calendar the business imported (``customers.namedays``); it
    is consulted before the shipped calendars of the same country."""

    country = models.CharField(_("country"), max_length=2)  # ISO 3166-1 alpha-2, lower case
    month = models.PositiveSmallIntegerField(_("month"))
    day = models.PositiveSmallIntegerField(_("day"))
    name = models.CharField(_("name"), max_length=100)
    key = models.CharField(max_length=100)  # the name folded for matching
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["country", "month", "day", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["country", "key", "month", "day"], name="nameday_entry_once"
            )
        ]
        indexes = [models.Index(fields=["country", "key"], name="nameday_entry_key")]

    def __str__(self) -> str:
        return f"{self.country} {self.month:02d}-{self.day:02d} {self.name}"


class PreferenceKind(models.TextChoices):
    LIKE = "like", _("Likes")
    DISLIKE = "dislike", _("Dislikes")
    ALLERGY = "allergy", _("Allergy")
    DIETARY = "dietary", _("Dietary need")


class Preference(Fact):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="preferences")
    kind = models.CharField(_("kind"), max_length=10, choices=PreferenceKind.choices)
    text = models.CharField(_("what"), max_length=200)

    class Meta:
        # Allergies first wherever preferences are listed: they matter most.
        ordering = ["kind", "id"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.text}"

    @property
    def is_allergy(self) -> bool:
        return self.kind == PreferenceKind.ALLERGY


class ContactRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("Decision maker")
    BUYER = "buyer", _("Buyer")
    USER = "user", _("User")
    OTHER = "other", _("Other")


class OrganisationContact(Fact):
    """A person (a customer of kind person) who acts for an organisation customer."""

    organisation = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    person = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="organisations")
    role = models.CharField(
        _("role"), max_length=16, choices=ContactRole.choices, default=ContactRole.USER
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "person"], name="contact_once_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} for {self.organisation_id}: {self.role}"


class ConsentChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    POST = "post", _("Post")
    PHONE = "phone", _("Phone")


class Consent(models.Model):
    """One consent decision. Rows are never changed: the latest per channel is in force,
    and the history is the proof."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(_("channel"), max_length=8, choices=ConsentChannel.choices)
    granted = models.BooleanField(_("granted"))
    at = models.DateTimeField(_("when"), default=timezone.now)
    method = models.CharField(_("how"), max_length=100)
    proof = models.TextField(_("proof"), blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.OFFERED)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            # "Is consent for this channel in force?": latest row per customer and channel.
            models.Index(fields=["customer", "channel", "-at"], name="consent_latest"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {'yes' if self.granted else 'no'} @ {self.at:%Y-%m-%d}"


class ImportJobStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to start")
    RUNNING = "running", _("Running")
    DONE = "done", _("Finished")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """A CSV import started from the web page; the page polls it for progress.

    The work runs in a background thread of the web process (``customers.importers.
    services.launch_import_job``); counts are updated after every batch.
    """

    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    kind = models.CharField(_("what"), max_length=10)  # customers.importers.base.ImportKind
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    file_name = models.CharField(_("file"), max_length=255)  # as uploaded, shown only
    stored_path = models.CharField(max_length=500, blank=True)  # under IMPORT_DIR
    report_path = models.CharField(max_length=500, blank=True)
    encoding = models.CharField(max_length=12, default="auto")
    mapping = models.CharField(max_length=500, default="auto")
    dry_run = models.BooleanField(_("dry run"), default=False)
    language = models.CharField(max_length=5, blank=True)  # of the messages and report
    status = models.CharField(
        max_length=10, choices=ImportJobStatus.choices, default=ImportJobStatus.PENDING
    )
    size_bytes = models.PositiveBigIntegerField(default=0)
    done_bytes = models.PositiveBigIntegerField(default=0)
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    merged = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    bad = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)  # the summary or the error, translated
    notes = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The import page: the latest jobs at the owner's locations.
            models.Index(fields=["location", "-created_at"], name="importjob_location_recent"),
        ]

    def __str__(self) -> str:
        return f"import {self.kind} {self.file_name} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status == ImportJobStatus.DONE:
            return 100
        if not self.size_bytes:
            return 0
        return min(99, int(100 * self.done_bytes / self.size_bytes))

    @property
    def is_active(self) -> bool:
        return self.status in (ImportJobStatus.PENDING, ImportJobStatus.RUNNING)


class RowKeyField(models.BigIntegerField):  # type: ignore[type-arg]
    """A 64-bit primary key that is SQLite's rowid (declared ``integer``, not ``bigint``),
    so the FTS5 index reaches a row without a second index."""

    def db_type(self, connection: Any) -> str | None:
        if connection.vendor == "sqlite":
            return "integer"
        return super().db_type(connection)


class SearchDoc(models.Model):
    """One customer's entry in the recognition index (``customers.search``).

    ``doc`` holds the normalised words staff may type to find the customer (names,
    household names, tags, email words, phone digits); ``terms`` the name words that
    typo-tolerant lookups may correct towards (``SearchTerm``). ``key`` orders entries
    by when the customer was last seen: the minute of the last visit (or of creation)
    times 2³² plus the customer id, so the index can hand out the most recently seen
    matches first and stop early. On SQLite the FTS5 table ``customers_search_fts``
    indexes ``doc`` through triggers; on PostgreSQL a GIN index over its words and
    ``starts``, the starts of those words (empty on SQLite, where FTS5 keeps prefix
    indexes of its own), does.
    """

    key = RowKeyField(primary_key=True)
    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="search_doc")
    doc = models.TextField()
    starts = models.TextField(blank=True, db_default="")
    terms = models.TextField(blank=True)
    # Ranking inputs copied from the customer, so ranking needs no join.
    home_location_id = models.IntegerField(null=True)
    visits = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"search entry of customer {self.customer_id}"


class SearchIndexFormat(models.Model):
    """The format the recognition index's entries were written in (one row): when the
    code's format (``customers.search.documents.INDEX_FORMAT``) is newer, what the
    entries hold no longer matches how queries are read, and ``regulars migrate``
    rebuilds the index."""

    format = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"search index format {self.format}"


class SearchTerm(models.Model):
    """A name word some customer's entry holds, and in how many entries: the vocabulary
    that typo-tolerant lookups correct a query word towards. A word leaves the
    vocabulary when its last entry does (erasing a customer leaves no name behind)."""

    term = models.CharField(max_length=100, unique=True)
    entries = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.term
