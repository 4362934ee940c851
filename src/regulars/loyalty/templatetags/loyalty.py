"""Template tags of the loyalty app: ``{% loyalty_profile customer as loyalty %}`` reads
the loyalty section of a customer's profile for the signed-in reader (the customers app
sits below this one, so its profile template asks here instead of its view)."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

from regulars.accounts.access import access_for
from regulars.loyalty.people import ProfileLoyalty, profile_loyalty

register = template.Library()


@register.simple_tag(takes_context=True)
def loyalty_profile(context: template.Context, customer: Any) -> ProfileLoyalty:
    request = context.get("request")
    user = getattr(request, "user", None)
    tz_name = context.get("page_zone") or settings.TIME_ZONE
    return profile_loyalty(customer, access_for(user), str(tz_name))
