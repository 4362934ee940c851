from django.urls import path

from regulars.service import ticket_views

app_name = "tickets"
urlpatterns = [
    path("", ticket_views.queue, name="queue"),
    path("mine/", ticket_views.mine, name="mine"),
    path("service-levels/", ticket_views.service_levels, name="service_levels"),
    path("new/<str:public_id>/", ticket_views.new, name="new"),
    path("<str:ticket_id>/", ticket_views.detail, name="detail"),
    path("<str:ticket_id>/move/", ticket_views.move, name="move"),
    path("<str:ticket_id>/hand-over/", ticket_views.hand_over, name="hand_over"),
    path("<str:ticket_id>/note/", ticket_views.note, name="note"),
    path("<str:ticket_id>/priority/", ticket_views.priority, name="priority"),
]
