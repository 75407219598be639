from django.urls import path

from cases.api import views
from cases.state_machine import TRANSITIONS

urlpatterns = [
    path("cases/", views.CaseListCreateView.as_view(), name="case-list"),
    path("cases/<uuid:uuid>/", views.CaseDetailView.as_view(), name="case-detail"),
    path("cases/<uuid:uuid>/events/", views.CaseEventListView.as_view(), name="case-events"),
    path("cases/<uuid:uuid>/milestones/", views.CaseMilestoneView.as_view(), name="case-milestones"),
    # One endpoint per row of the transition table: /cases/<uuid>/send-application/, /cancel/, …
    *[
        path(f"cases/<uuid:uuid>/{t.slug}/", views.TRANSITION_VIEWS[name].as_view(), name=f"case-{t.slug}")
        for name, t in TRANSITIONS.items()
    ],
    path("my/cases/", views.MyCaseListView.as_view(), name="my-case-list"),
    path("my/cases/<uuid:uuid>/", views.MyCaseDetailView.as_view(), name="my-case-detail"),
    path("my/cases/<uuid:uuid>/cancel/", views.MyCaseCancelView.as_view(), name="my-case-cancel"),
]
