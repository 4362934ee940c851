"""The template editor (``/outreach/templates/``), for managers: every purpose ×
channel × language, built-in or their own; editing one with a live preview (htmx)
and the checks of ``wording.check``; back to the built-in wording."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from regulars.accounts.access import requires
from regulars.core.permissions import Capability
from regulars.customers.models import Customer
from regulars.customers.queries import get_customer_for
from regulars.outreach import wording
from regulars.outreach.models import Channel, OccasionKind, PlayKind, Template
from regulars.outreach.template_forms import PreviewForm, TemplateForm
from regulars.outreach.wording.saving import TemplateProblems, reset_template, save_template


def purpose_label(purpose: str) -> str:
    if purpose in OccasionKind.values:
        return str(OccasionKind(purpose).label)
    return str(PlayKind(purpose).label)


def _language_names() -> dict[str, str]:
    from django.conf import settings

    return {code: str(name) for code, name in settings.LANGUAGES}


def _target(purpose: str, channel: str, language: str) -> tuple[str, str, str]:
    """The (purpose, channel, language) of the URL, or 404."""
    if (
        purpose not in wording.PURPOSES
        or channel not in wording.CHANNELS
        or language not in wording.LANGUAGES
    ):
        raise Http404
    return purpose, channel, language


@requires(Capability.MANAGE_OUTREACH)
def template_list(request: HttpRequest) -> HttpResponse:
    own = {
        (t.purpose, t.channel, t.language): t for t in Template.objects.select_related("updated_by")
    }
    languages = _language_names()
    rows = [
        {
            "purpose": purpose,
            "purpose_label": purpose_label(purpose),
            "channel": channel,
            "channel_label": Channel(channel).label,
            "cells": [
                {"language": code, "own": own.get((purpose, channel, code))}
                for code in wording.LANGUAGES
            ],
        }
        for purpose in wording.PURPOSES
        for channel in wording.CHANNELS
    ]
    return render(
        request,
        "outreach/template_list.html",
        {
            "rows": rows,
            "languages": [(code, languages.get(code, code)) for code in wording.LANGUAGES],
            "customised": len(own),
        },
    )


def _preview(
    request: HttpRequest, target: tuple[str, str, str], subject: str, body: str
) -> dict[str, Any]:
    """The preview's context: the rendered wording and the problems."""
    purpose, channel, language = target
    form = PreviewForm(request.POST or None)
    chosen: Customer | None = None
    note = ""
    with_voucher, formal = True, False
    if form.is_bound and form.is_valid():
        with_voucher = form.cleaned_data["voucher"]
        formal = form.cleaned_data["formal"]
        public_id = form.cleaned_data["customer"].strip()
        if public_id:
            try:
                chosen = get_customer_for(request.user, public_id)
            except Http404:
                note = _("No customer has the id “%(id)s”; a sample customer is shown.") % {
                    "id": public_id
                }
    shown = wording.preview(
        purpose=purpose,
        channel=channel,
        language=language,
        subject=subject,
        body=body,
        customer=chosen,
        formal=formal,
        with_voucher=with_voucher,
    )
    return {"shown": shown, "chosen": chosen, "note": note, "preview_form": form}


def _context(
    target: tuple[str, str, str], form: TemplateForm, own: Template | None
) -> dict[str, Any]:
    purpose, channel, language = target
    return {
        "form": form,
        "own": own,
        "purpose": purpose,
        "channel": channel,
        "language": language,
        "purpose_label": purpose_label(purpose),
        "channel_label": Channel(channel).label,
        "language_label": _language_names().get(language, language),
        "names": wording.names.NAMES,
        "syntax_help": _(
            "Write {{ name }} where the name goes. Use {%% if formal %%}…{%% else %%}…"
            "{%% endif %%} for formal and informal words, {%% if voucher %%}…{%% endif %%} "
            'around a voucher\'s line, and {{ years|plural:"year,years" }} for a word that '
            "changes with a number."
        )
        % {},
        "voucher_help": _(
            "A voucher has {{ voucher.code }}, {{ voucher.text }} (what it gives) and "
            "{{ voucher.valid_until }}."
        ),
    }


@requires(Capability.MANAGE_OUTREACH)
def template_edit(request: HttpRequest, purpose: str, channel: str, language: str) -> HttpResponse:
    target = _target(purpose, channel, language)
    own = Template.objects.filter(purpose=purpose, channel=channel, language=language).first()
    if request.method == "POST":
        form = TemplateForm(request.POST, purpose=purpose, channel=channel, language=language)
        if form.is_valid():
            try:
                save_template(
                    purpose=purpose,
                    channel=channel,
                    language=language,
                    subject=form.cleaned_data.get("subject", ""),
                    body=form.cleaned_data["body"],
                    by=request.user,
                )
            except TemplateProblems as problems:  # checked again inside the service
                for problem in problems.problems:
                    form.add_error(None, problem)
            else:
                messages.success(request, _("The wording is saved and used from now on."))
                return redirect("outreach:template_edit", purpose, channel, language)
        subject, body = form.data.get("subject", ""), form.data.get("body", "")
        status = 400
    else:
        subject, body = (
            (own.subject, own.body) if own else wording.builtin_source(purpose, channel, language)
        )
        form = TemplateForm(
            initial={"subject": subject, "body": body},
            purpose=purpose,
            channel=channel,
            language=language,
        )
        status = 200
    context = _context(target, form, own)
    context.update(_preview(request, target, subject, body))
    return render(request, "outreach/template_form.html", context, status=status)


@requires(Capability.MANAGE_OUTREACH)
@require_POST
def template_preview(
    request: HttpRequest, purpose: str, channel: str, language: str
) -> HttpResponse:
    """The preview partial for the words being typed (htmx); nothing is saved."""
    target = _target(purpose, channel, language)
    subject = request.POST.get("subject", "")[:1000]
    body = request.POST.get("body", "")[:20000]
    context = _context(
        target, TemplateForm(purpose=purpose, channel=channel, language=language), None
    )
    context.update(_preview(request, target, subject, body))
    return render(request, "outreach/template_preview.html", context)


@requires(Capability.MANAGE_OUTREACH)
@require_POST
def template_reset(request: HttpRequest, purpose: str, channel: str, language: str) -> HttpResponse:
    _target(purpose, channel, language)
    if reset_template(purpose=purpose, channel=channel, language=language, by=request.user):
        messages.success(request, _("Back to the built-in wording."))
    return redirect("outreach:template_edit", purpose, channel, language)
