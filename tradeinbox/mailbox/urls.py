"""Included by the root URLconf as ``path("mailbox/", include("tradeinbox.mailbox.urls"))``."""

from django.urls import path

from tradeinbox.mailbox import views

app_name = "mailbox"

urlpatterns = [
    path("", views.accounts, name="accounts"),
    path("accounts/add/", views.account_edit, name="account_add"),
    path("accounts/<int:pk>/", views.account_detail, name="account_detail"),
    path("accounts/<int:pk>/edit/", views.account_edit, name="account_edit"),
    path("accounts/<int:pk>/test/", views.account_test, name="account_test"),
    path("accounts/<int:pk>/sync/", views.account_sync, name="account_sync"),
    path("accounts/<int:pk>/remove/", views.account_remove, name="account_remove"),
    path("folders/<int:pk>/", views.folder, name="folder"),
    path("compose/", views.compose, name="compose"),
    path("outbox/", views.outbox_list, name="outbox"),
    path("outbox/<int:pk>/cancel/", views.outbox_cancel, name="outbox_cancel"),
    path("outbox/<int:pk>/reschedule/", views.outbox_reschedule, name="outbox_reschedule"),
    path("outbox/<int:pk>/send-again/", views.outbox_send_again, name="outbox_send_again"),
]
