from django.urls import path

from tradeinbox.customers import views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="list"),
    path("<int:pk>/", views.company_detail, name="company"),
    path("<int:pk>/owner/", views.company_owner, name="company_owner"),
    path("people/<int:pk>/", views.person_detail, name="person"),
    path("people/<int:pk>/chats/", views.chat_upload, name="chat_upload"),
    path("people/<int:pk>/channels/", views.channel_add, name="channel_add"),
    path(
        "people/<int:pk>/channels/<int:channel_pk>/delete/",
        views.channel_delete,
        name="channel_delete",
    ),
    path("merges/", views.merge_list, name="merges"),
    path("merges/<int:pk>/confirm/", views.merge_confirm, name="merge_confirm"),
    path("merges/<int:pk>/reject/", views.merge_reject, name="merge_reject"),
    path("merges/<int:pk>/split/", views.merge_split, name="merge_split"),
    path("recipients/thread/<int:thread_pk>/", views.thread_recipients, name="recipients"),
]
