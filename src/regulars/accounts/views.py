"""Sign-in, sign-out, password change, interface language, locations."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.translation import gettext as _

from regulars.accounts import services
from regulars.accounts.access import access_for, requires, signed_in
from regulars.accounts.forms import LanguageForm, LocationForm
from regulars.accounts.models import Location
from regulars.core.permissions import Capability

login = login_not_required(
    auth_views.LoginView.as_view(
        template_name="accounts/login.html", redirect_authenticated_user=True
    )
)
logout = signed_in(auth_views.LogoutView.as_view())
password_change = signed_in(
    auth_views.PasswordChangeView.as_view(
        template_name="accounts/password_change.html",
        success_url=reverse_lazy("accounts:password_change_done"),
    )
)
password_change_done = signed_in(
    auth_views.PasswordChangeDoneView.as_view(template_name="accounts/password_change_done.html")
)


@signed_in
def preferences(request: HttpRequest) -> HttpResponse:
    """Any signed-in user, even one without a role yet, chooses their language."""
    profile = getattr(request.user, "profile", None)  # None until chosen once
    current = profile.language if profile else ""
    form = LanguageForm(request.POST or None, initial={"language": current or ""})
    if request.method == "POST" and form.is_valid():
        services.set_language(user=request.user, language=form.cleaned_data["language"])
        # Say it in the language just chosen, not the one the request came in.
        if form.cleaned_data["language"]:
            translation.activate(form.cleaned_data["language"])
        messages.success(request, _("Your preferences are saved."))
        response = redirect("accounts:preferences")
        response.set_cookie(
            "regulars_language", form.cleaned_data["language"] or "", samesite="Lax"
        )
        return response
    return render(request, "accounts/preferences.html", {"form": form})


@requires(Capability.VIEW_LOCATIONS)
def location_list(request: HttpRequest) -> HttpResponse:
    access = access_for(request.user)
    locations = Location.objects.filter(id__in=access.location_ids)
    return render(request, "accounts/location_list.html", {"locations": locations})


@requires(Capability.MANAGE_LOCATIONS)
def location_edit(request: HttpRequest, location_id: int | None = None) -> HttpResponse:
    access = access_for(request.user)
    location = None
    if location_id is not None:
        location = get_object_or_404(Location, pk=location_id, id__in=access.location_ids)
    form = LocationForm(request.POST or None, instance=location)
    if request.method == "POST" and form.is_valid():
        saved = services.save_location(form=form, actor=request.user)
        messages.success(request, _("Location “%(name)s” saved.") % {"name": saved.name})
        return redirect("accounts:locations")
    return render(request, "accounts/location_form.html", {"form": form, "location": location})
