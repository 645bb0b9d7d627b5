from django.contrib.auth import views as auth_views
from django.urls import path

from tradeinbox.users import views as user_views
from tradeinbox.web import views, views_messages

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("search", views.search, name="search"),
    path("threads/<int:pk>/", views.thread_detail, name="thread_detail"),
    path("messages/<int:pk>/", views_messages.message_detail, name="message_detail"),
    path("messages/<int:pk>/body/", views_messages.message_body, name="message_body"),
    path("messages/<int:pk>/raw/", views_messages.message_raw, name="message_raw"),
    path(
        "messages/<int:pk>/attachments/<int:position>/",
        views_messages.attachment_download,
        name="attachment_download",
    ),
    path("messages/<int:pk>/cid/<path:content_id>", views_messages.message_cid, name="message_cid"),
    path("quarantine/", views.quarantine, name="quarantine"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", views.set_language, name="set_language"),
    path("preferences/", views.page(user_views.preferences), name="preferences"),
]
