from django.urls import path

from forms.api import views

urlpatterns = [
    path("forms/", views.FormListView.as_view(), name="forms-list"),
    path("forms/options/", views.FormOptionsView.as_view(), name="forms-options"),
    path("forms/<uuid:uuid>/", views.FormDetailView.as_view(), name="forms-detail"),
    path("forms/<uuid:uuid>/versions/", views.FormVersionsView.as_view(), name="forms-versions"),
    path("cases/<uuid:uuid>/form-assignments/", views.CaseAssignmentsView.as_view(), name="forms-case-assignments"),
    path("cases/<uuid:uuid>/custom-forms/", views.CaseCustomFormView.as_view(), name="forms-case-custom-form"),
    path("form-assignments/", views.AssignmentListView.as_view(), name="forms-assignments"),
    path("form-assignments/<uuid:uuid>/", views.AssignmentDetailView.as_view(), name="forms-assignment"),
    path("form-assignments/<uuid:uuid>/responses/", views.AssignmentResponsesView.as_view(),
         name="forms-assignment-responses"),
    path("form-assignments/<uuid:uuid>/reopen/", views.AssignmentReopenView.as_view(), name="forms-assignment-reopen"),
    path("form-assignments/<uuid:uuid>/cancel/", views.AssignmentCancelView.as_view(), name="forms-assignment-cancel"),
    path("form-responses/", views.ResponseListView.as_view(), name="forms-responses"),
    path("form-responses/<uuid:uuid>/", views.ResponseDetailView.as_view(), name="forms-response"),
    path("my/forms/", views.MyFormListView.as_view(), name="forms-my-list"),
    path("my/forms/<uuid:uuid>/", views.MyFormDetailView.as_view(), name="forms-my-detail"),
    path("my/form-responses/", views.MyFormResponseCreateView.as_view(), name="forms-my-responses"),
]
