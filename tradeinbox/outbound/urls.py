"""Included by the root URLconf as ``path("outbound/", include("tradeinbox.outbound.urls"))``."""

from django.urls import path

from tradeinbox.outbound import views, views_public

app_name = "outbound"

urlpatterns = [
    path("", views.health, name="health"),
    path("health/<int:pk>/", views.health_detail, name="health_detail"),
    path("dkim/", views.dkim_keys, name="dkim"),
    path("dkim/generate/", views.dkim_generate, name="dkim_generate"),
    path("dkim/import/", views.dkim_import, name="dkim_import"),
    path("dkim/<int:pk>/signing/", views.dkim_activate, name="dkim_activate"),
    path("dkim/<int:pk>/delete/", views.dkim_delete, name="dkim_delete"),
    path("lists/", views.lists, name="lists"),
    path("lists/<int:pk>/", views.list_detail, name="list_detail"),
    path(
        "lists/<int:pk>/consents/<int:consent_id>/withdraw/",
        views.consent_withdraw,
        name="consent_withdraw",
    ),
    path("campaigns/", views.campaign_list, name="campaigns"),
    path("campaigns/new/", views.campaign_new, name="campaign_new"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path(
        "campaigns/<int:pk>/start/",
        views.campaign_action,
        {"action": "start"},
        name="campaign_start",
    ),
    path(
        "campaigns/<int:pk>/pause/",
        views.campaign_action,
        {"action": "pause"},
        name="campaign_pause",
    ),
    path(
        "campaigns/<int:pk>/resume/",
        views.campaign_action,
        {"action": "resume"},
        name="campaign_resume",
    ),
    path(
        "campaigns/<int:pk>/cancel/",
        views.campaign_action,
        {"action": "cancel"},
        name="campaign_cancel",
    ),
    path("suppression/", views.suppression, name="suppression"),
    path("suppression/<int:pk>/remove/", views.suppression_remove, name="suppression_remove"),
    # Public: reached from mail, no sign-in.
    path("unsubscribe/<str:token>/", views_public.unsubscribe, name="unsubscribe"),
    path("confirm/<str:token>/", views_public.confirm, name="confirm"),
    path("subscribe/<slug:slug>/", views_public.subscribe, name="subscribe"),
]
