"""Included by the root URLconf as ``path("quotes/", include("tradeinbox.quotes.urls"))``."""

from django.urls import path

from tradeinbox.quotes import views

app_name = "quotes"

urlpatterns = [
    path("", views.quote_list, name="list"),
    path("new/", views.quote_new, name="new"),
    path("<int:pk>/", views.quote_detail, name="quote"),
    path("<int:pk>/document/", views.quote_document, name="make_document"),
    path("<int:pk>/reply/", views.quote_reply, name="reply"),
    path("<int:pk>/deal/", views.quote_deal, name="deal"),
    path("<int:pk>/order/", views.quote_order, name="order"),
    path("<int:pk>/status/", views.quote_status, name="status"),
    path("documents/<int:pk>/", views.document_download, name="document"),
    path("products/", views.product_list, name="products"),
    path("products/new/", views.product_edit, name="product_add"),
    path("products/<int:pk>/", views.product_edit, name="product_edit"),
    path("history/<str:sku>/", views.price_history, name="history"),
    path("settings/", views.settings_view, name="settings"),
    path("settings/logo/", views.logo, name="logo"),
]
