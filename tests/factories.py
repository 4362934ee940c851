"""factory-boy factories for the domain models."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from regulars.accounts.models import Location, Membership, Profile
from regulars.customers.models import Customer, Phone, Preference
from regulars.service.models import Visit


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    name = factory.Sequence(lambda n: f"Shop {n}")
    country = "IT"
    timezone = "Europe/Rome"
    currency = "EUR"
    language = "it"
    opening_hours = factory.LazyFunction(lambda: {"mon": [["08:00", "19:00"]]})


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def _save_password(obj, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            obj.save(update_fields=["password"])


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    location = factory.SubFactory(LocationFactory)
    role = "staff"


class ProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Profile

    user = factory.SubFactory(UserFactory)
    language = ""


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    given_name = factory.Faker("first_name", locale="it_IT")
    family_name = factory.Faker("last_name", locale="it_IT")
    language = "it"


class PhoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Phone

    customer = factory.SubFactory(CustomerFactory)
    number = factory.Sequence(lambda n: f"+39333{n:07d}")


class PreferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Preference

    customer = factory.SubFactory(CustomerFactory)
    kind = "like"
    text = "cappuccino"


class VisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Visit

    customer = factory.SubFactory(CustomerFactory)
    location = factory.SubFactory(LocationFactory)
