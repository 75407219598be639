from django.urls import path

from education.api import views

urlpatterns = [
    path("education/materials/", views.MaterialListView.as_view(), name="education-materials"),
    path("education/materials/<uuid:uuid>/", views.MaterialDetailView.as_view(), name="education-material"),
    path("education/materials/<uuid:uuid>/versions/", views.MaterialVersionsView.as_view(),
         name="education-material-versions"),
    path("education/videos/", views.VideoUploadView.as_view(), name="education-videos"),
    path("education/reading-status/", views.ReadingStatusListView.as_view(), name="education-reading-status"),
    path("cases/<uuid:uuid>/education/", views.CaseEducationView.as_view(), name="education-case"),
    path("my/cases/<uuid:uuid>/education/", views.MyEducationView.as_view(), name="education-my-case"),
    path("my/cases/<uuid:uuid>/reading-sessions/", views.MyReadingSessionStartView.as_view(),
         name="education-my-reading-start"),
    path("my/education/materials/", views.MyMaterialListView.as_view(), name="education-my-materials"),
    path("my/education/reading-sessions/", views.MyReadingSessionListView.as_view(),
         name="education-my-reading-sessions"),
    path("my/education/materials/<uuid:uuid>/", views.MyMaterialView.as_view(), name="education-my-material"),
    path("my/cases/<uuid:uuid>/reading-sessions/finish/", views.MyReadingSessionFinishView.as_view(),
         name="education-my-reading-finish"),
]
