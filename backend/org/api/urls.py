from rest_framework.routers import SimpleRouter

from org.api import views

router = SimpleRouter()
router.register("hospitals", views.HospitalViewSet, basename="hospital")
router.register("campuses", views.CampusViewSet, basename="campus")
router.register("departments", views.DepartmentViewSet, basename="department")
router.register("wards", views.WardViewSet, basename="ward")
router.register("beds", views.BedViewSet, basename="bed")
router.register("medical-groups", views.MedicalGroupViewSet, basename="medical-group")
router.register("theatre-suites", views.TheatreSuiteViewSet, basename="theatre-suite")
router.register("theatre-rooms", views.TheatreRoomViewSet, basename="theatre-room")
router.register("theatre-sessions", views.TheatreSessionViewSet, basename="theatre-session")

urlpatterns = router.urls
