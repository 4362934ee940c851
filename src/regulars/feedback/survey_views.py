"""The public survey pages customers answer on their phones, under /s/.

No sign-in, no staff chrome, no JavaScript needed: one step per page, each step's
answers kept as a draft (so the link continues where it was left), the last step
submits once. Every page is rate-limited per address, never cached and sends no
referrer (the token is in the URL). A link that cannot be answered gets a friendly
page that changes nothing: made up or altered (404, in the browser's language),
expired (410) or already answered (in the invitation's language).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from regulars.core.ratelimit import allow, client_address
from regulars.customers.models import AddressForm, Customer
from regulars.feedback import invitations, responses
from regulars.feedback.answers import read_answers
from regulars.feedback.models import Invitation, Question
from regulars.feedback.responses import InvalidAnswers, LinkProblem
from regulars.feedback.survey_forms import (
    COMMENT_STEP,
    Step,
    build_steps,
    error_links,
    resume_index,
    step_of_field,
)
from regulars.feedback.tokens import clean_short_code

RATE_WINDOW_S = 60  # core.ratelimit's default window
View = Callable[..., HttpResponseBase]


def open_page(bucket: str) -> Callable[[View], View]:
    """Decorate a page open to anyone (customers following a link): rate-limited per
    address in ``bucket``, never cached, sending no referrer. The outreach's
    unsubscribe page uses it too."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if allow(bucket, client_address(request.META), limit=settings.SURVEY_RATE_LIMIT):
                response = view(request, *args, **kwargs)
            else:
                response = render(request, "feedback/survey/limited.html", status=429)
                response["Retry-After"] = str(RATE_WINDOW_S)
            response["Cache-Control"] = "no-store"
            response["Referrer-Policy"] = "no-referrer"
            response["X-Robots-Tag"] = "noindex, nofollow"
            return response

        return login_not_required(wrapper)

    return decorate


def public_page(view: View) -> View:
    """A survey page: ``open_page`` and no CSRF token either, so the pages set no cookie
    at all: the signed token in the URL already is the secret a forged request would
    need, and the code page changes nothing (browsers that refuse cookies, as some
    QR-scanner browsers do, still work)."""
    return open_page("survey")(csrf_exempt(view))


def _in(language: str, response: HttpResponse) -> HttpResponse:
    """Say which language the page is in (LocaleMiddleware would name the browser's)."""
    response["Content-Language"] = language
    return response


def _problem(request: HttpRequest, problem: LinkProblem, *, posted: bool = False) -> HttpResponse:
    """The friendly page of a link that cannot be answered; it changes nothing."""
    invitation = problem.invitation
    if problem.kind == "invalid" or invitation is None:
        return render(request, "feedback/survey/invalid.html", status=404)
    with translation.override(invitation.language):
        context = {"business": invitation.location.name}
        if problem.kind == "expired":
            return _in(
                invitation.language,
                render(request, "feedback/survey/expired.html", context, status=410),
            )
        # A second submit (double click, second tab) conflicts; opening the link again
        # after answering is simply a thank-you.
        status = 409 if posted else 200
        return _in(
            invitation.language,
            render(request, "feedback/survey/answered.html", context, status=status),
        )


@public_page
def enter_code(request: HttpRequest) -> HttpResponse:
    """ "Enter the code from your receipt": a good code opens its survey. A code that
    names nothing gets the same message whether it is malformed or unknown."""
    typed = ""
    error = ""
    if request.method == "POST":
        typed = str(request.POST.get("code", ""))[:40]
        try:
            invitation = responses.invitation_for_code(clean_short_code(typed))
        except LinkProblem as problem:
            if problem.invitation is None:
                error = _(
                    "We could not find a survey with this code. Please check the 10 letters "
                    "and numbers on your receipt and try again."
                )
            else:  # expired or answered: its own link explains, in its language
                return redirect(invitations.survey_path(problem.invitation))
        else:
            return redirect(invitations.survey_path(invitation))
    return render(
        request,
        "feedback/survey/code.html",
        {"typed": typed, "error": error},
        status=400 if error else 200,
    )


def _greeting_name(customer: Customer | None) -> str:
    """The name a survey may greet with: the one the customer asked to be called, or
    their given name when they are addressed by it; nothing else is shown."""
    if customer is None:
        return ""
    if customer.preferred_name:
        return customer.preferred_name
    if customer.address_form in (AddressForm.INFORMAL, AddressForm.FIRST_NAME):
        return customer.given_name
    return ""


def _step_url(token: str, step: Step) -> str:
    return f"{reverse('survey:answer', kwargs={'token': token})}?{urlencode({'step': step.key})}"


def _index_of(steps: Sequence[Step], key: str | None, default: int) -> int:
    return next((i for i, step in enumerate(steps) if step.key == key), default)


def _render_step(
    request: HttpRequest,
    invitation: Invitation,
    steps: list[Step],
    index: int,
    *,
    status: int = 200,
) -> HttpResponse:
    step = steps[index]
    context = {
        "invitation": invitation,
        "business": invitation.location.name,
        "name": _greeting_name(invitation.customer),
        "step": step,
        "number": index + 1,
        "count": len(steps),
        "first": index == 0,
        "last": step.key == COMMENT_STEP,
        "errors": error_links(step),
        "form_action": request.path,
    }
    return _in(
        invitation.language,
        render(request, "feedback/survey/step.html", context, status=status),
    )


@public_page
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """The survey, one step per page; ``?step=`` names the step (else: where the
    customer left off)."""
    try:
        invitation = responses.invitation_for_token(token)
    except LinkProblem as problem:
        return _problem(request, problem, posted=request.method == "POST")
    with translation.override(invitation.language):
        questions = responses.questions_of(invitation)
        if request.method == "POST":
            return _post(request, token, invitation, questions)
        responses.mark_opened(invitation)
        steps = build_steps(invitation.survey, questions, invitation.language, invitation.draft)
        index = _index_of(steps, request.GET.get("step"), resume_index(steps, invitation.draft))
        return _render_step(request, invitation, steps, index)


def _post(
    request: HttpRequest, token: str, invitation: Invitation, questions: list[Question]
) -> HttpResponse:
    """Keep the step's answers, then go back, on, or submit the survey."""
    language = invitation.language
    steps = build_steps(invitation.survey, questions, language)
    index = _index_of(steps, request.POST.get("step"), 0)
    step = steps[index]
    # Every field of the step, answered or not: an answer taken back is taken back.
    given = {name: str(request.POST.get(name, "")) for name in step.names}
    try:
        errors = responses.save_draft(invitation, given)
    except LinkProblem as problem:
        return _problem(request, problem, posted=True)
    action = request.POST.get("action", "next")
    if action == "back":
        return redirect(_step_url(token, steps[max(index - 1, 0)]))
    if not errors:
        # Moving on asks what the step requires (a draft alone may leave it for later).
        merged = {**invitation.draft, **given}
        _answers, final_errors = read_answers(invitation.survey, questions, merged, final=True)
        errors = {name: message for name, message in final_errors.items() if step.owns(name)}
    if errors:
        return _again(request, invitation, questions, index, {**invitation.draft, **given}, errors)
    if action != "submit" or step.key != COMMENT_STEP:
        return redirect(_step_url(token, steps[min(index + 1, len(steps) - 1)]))
    try:
        responses.submit_response(invitation, given)
    except LinkProblem as problem:
        return _problem(request, problem, posted=True)
    except InvalidAnswers as invalid:
        # Show the first step with a problem, its answers as given.
        where = min(
            (i for name in invalid.errors if (i := step_of_field(steps, name)) is not None),
            default=index,
        )
        return _again(request, invitation, questions, where, invitation.draft, invalid.errors)
    return redirect("survey:thanks", token=token)


def _again(
    request: HttpRequest,
    invitation: Invitation,
    questions: list[Question],
    index: int,
    values: Mapping[str, Any],
    errors: dict[str, str],
) -> HttpResponse:
    steps = build_steps(invitation.survey, questions, invitation.language, values, errors)
    return _render_step(request, invitation, steps, index, status=400)


@public_page
def thanks(request: HttpRequest, token: str) -> HttpResponse:
    """After submitting (POST, then redirect here): thank you, in their language."""
    try:
        responses.invitation_for_token(token)
    except LinkProblem as problem:
        if problem.kind != "answered" or problem.invitation is None:
            return _problem(request, problem)
        language = problem.invitation.language
        with translation.override(language):
            context = {"business": problem.invitation.location.name}
            return _in(language, render(request, "feedback/survey/thanks.html", context))
    # Not answered yet: the survey itself.
    return redirect("survey:answer", token=token)
