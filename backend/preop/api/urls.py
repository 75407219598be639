from django.urls import path

from preop.api import views

C = "preop/cases/<uuid:uuid>/"

urlpatterns = [
    path("virtual-beds/", views.VirtualBedsView.as_view(), name="virtual-beds"),
    path("bed-cards/", views.BedCardListView.as_view(), name="bed-card-list"),
    path("bed-cards/<uuid:uuid>/", views.BedCardDetailView.as_view(), name="bed-card-detail"),
    path("preop/search/", views.SearchView.as_view(), name="preop-search"),
    path(C, views.PreopCaseDetailView.as_view(), name="preop-case-detail"),
    path(C + "messages/", views.CaseMessagesView.as_view(), name="preop-case-messages"),
    path(C + "reschedule/", views.RescheduleView.as_view(), name="preop-case-reschedule"),
    path(C + "cancel/", views.CancelView.as_view(), name="preop-case-cancel"),
    path("change-reasons/", views.ChangeReasonsView.as_view(), name="change-reasons"),
    path("cancellation-stats/", views.CancellationStatsView.as_view(), name="cancellation-stats"),
    path("icon-rules/", views.IconRuleListView.as_view(), name="icon-rule-list"),
    path("icon-rules/<uuid:uuid>/", views.IconRuleDetailView.as_view(), name="icon-rule-detail"),
]
