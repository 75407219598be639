from django.urls import path
from rest_framework.routers import SimpleRouter

from risk.api import views

router = SimpleRouter()
router.register("risk-evaluations", views.RiskEvaluationViewSet, basename="risk-evaluation")
router.register("risk-knowledge-bases", views.KnowledgeBaseViewSet, basename="risk-knowledge-base")
router.register("risk-knowledge-base-entries", views.KnowledgeBaseEntryViewSet, basename="risk-knowledge-base-entry")
router.register("procedure-risk-profiles", views.ProcedureRiskProfileViewSet, basename="procedure-risk-profile")

urlpatterns = [
    path("risk-models/", views.RiskModelListView.as_view(), name="risk-model-list"),
    *router.urls,
]
