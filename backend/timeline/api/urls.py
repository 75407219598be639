from django.urls import path
from rest_framework.routers import SimpleRouter

from timeline.api import views

router = SimpleRouter()
router.register("timeline-node-definitions", views.NodeDefinitionViewSet, basename="timeline-node-definition")

urlpatterns = [
    path("cases/<uuid:uuid>/timeline-nodes/", views.CaseTimelineView.as_view(), name="case-timeline-nodes"),
    path("cases/<uuid:uuid>/timeline-nodes/<slug:slug>/", views.CaseTimelineNodeView.as_view(),
         name="case-timeline-node"),
    path("my/cases/<uuid:uuid>/timeline/", views.MyCaseTimelineView.as_view(), name="my-case-timeline"),
    *router.urls,
]
