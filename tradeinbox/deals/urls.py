from django.urls import path

from tradeinbox.deals import views, views_exports

app_name = "deals"

urlpatterns = [
    path("", views.due, name="due"),
    path("all/", views.deal_list, name="list"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("settings/", views.settings_view, name="settings"),
    path("<int:pk>/", views.deal_detail, name="deal"),
    path("<int:pk>/stage/", views.deal_stage, name="stage"),
    path("<int:pk>/edit/", views.deal_edit, name="edit"),
    path("<int:pk>/cadence/", views.deal_cadence, name="cadence"),
    path("<int:pk>/consolidation/", views.consolidation_send, name="consolidation"),
    path("<int:pk>/merge/", views.deal_merge, name="merge"),
    path("<int:pk>/people.vcf", views_exports.deal_vcf, name="deal_vcf"),
    path("followups/<int:pk>/<str:action>/", views.followup_action, name="followup"),
    path("from-thread/<int:thread_pk>/", views.deal_from_thread, name="from_thread"),
    path("feed/reset/", views.feed_reset, name="feed_reset"),
    path("feed/<int:user_pk>/<str:token>.ics", views_exports.feed, name="feed"),
    path("export/deals.csv", views_exports.deals_csv, name="deals_csv"),
    path("export/contacts.csv", views_exports.contacts_csv, name="contacts_csv"),
    path("export/contacts.vcf", views_exports.people_vcf, name="people_vcf"),
]
