from django.urls import include, path

urlpatterns = [
    path("customers/", include("tradeinbox.customers.urls")),
    path("mailbox/", include("tradeinbox.mailbox.urls")),
    path("writing/", include("tradeinbox.writing.urls")),
    path("deals/", include("tradeinbox.deals.urls")),
    path("quotes/", include("tradeinbox.quotes.urls")),
    path("triage/", include("tradeinbox.triage.urls")),
    path("outbound/", include("tradeinbox.outbound.urls")),
    path("audit/", include("tradeinbox.audit.urls")),
    path("", include("tradeinbox.web.urls")),
]
