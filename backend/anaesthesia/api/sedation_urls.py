from django.urls import path

from anaesthesia.api import sedation_views as views

urlpatterns = [
    path("sedation-appointments/", views.SedationAppointmentListView.as_view(), name="sedation-appointment-list"),
    path("sedation-appointments/import/", views.SedationAppointmentImportView.as_view(),
         name="sedation-appointment-import"),
    path("sedation-appointments/<uuid:uuid>/", views.SedationAppointmentDetailView.as_view(),
         name="sedation-appointment-detail"),
]
