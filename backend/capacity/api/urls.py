from django.urls import path
from rest_framework.routers import SimpleRouter

from capacity.api.views import ExceptionViewSet, SlotViewSet, TemplateViewSet, TimetableView

router = SimpleRouter()
router.register("capacity-templates", TemplateViewSet, basename="capacity-template")
router.register("capacity-slots", SlotViewSet, basename="capacity-slot")
router.register("capacity-exceptions", ExceptionViewSet, basename="capacity-exception")

urlpatterns = [path("timetable/", TimetableView.as_view(), name="timetable"), *router.urls]
