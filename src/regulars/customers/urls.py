from django.urls import path

from regulars.customers import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_new, name="new"),
    path("<str:public_id>/", views.customer_detail, name="detail"),
    path("<str:public_id>/edit/", views.customer_edit, name="edit"),
    path("<str:public_id>/delete/", views.customer_delete, name="delete"),
    path("<str:public_id>/visits/", views.visit_history, name="visits"),
]

# One add (and, for removable facts, one remove) endpoint per inline section of the
# profile: customers:phones_add, customers:phones_remove, customers:tags_add, ...
for _name, _section in views.SECTIONS.items():
    urlpatterns.append(
        path(
            f"<str:public_id>/{_name}/",
            views.section_add,
            {"section": _name},
            name=f"{_name}_add",
        )
    )
    if _section.model is not None:
        urlpatterns.append(
            path(
                f"<str:public_id>/{_name}/<int:fact_id>/remove/",
                views.section_remove,
                {"section": _name},
                name=f"{_name}_remove",
            )
        )
