from rest_framework.routers import SimpleRouter

from integrations.api.views import ExternalCallViewSet

router = SimpleRouter()
router.register("external-calls", ExternalCallViewSet, basename="external-call")

urlpatterns = router.urls
