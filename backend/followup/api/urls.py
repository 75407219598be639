from django.urls import path

from followup.api import views

urlpatterns = [
    path("followup/plans/", views.PlanListView.as_view(), name="followup-plans"),
    path("followup/plans/<uuid:uuid>/", views.PlanDetailView.as_view(), name="followup-plan"),
    path("followup/plans/<uuid:uuid>/versions/", views.PlanVersionsView.as_view(), name="followup-plan-versions"),
    path("followup/tag-definitions/", views.TagDefinitionListView.as_view(), name="followup-tag-definitions"),
    path("followup/tasks/", views.TaskListView.as_view(), name="followup-tasks"),
    path("followup/tasks/<uuid:uuid>/", views.TaskDetailView.as_view(), name="followup-task"),
    path("followup/tasks/<uuid:uuid>/manual-call/", views.ManualCallView.as_view(), name="followup-task-manual-call"),
    path("followup/tag-counts/", views.TagCountView.as_view(), name="followup-tag-counts"),
    path("followup/patients/<uuid:uuid>/plan-tree/", views.PlanTreeView.as_view(), name="followup-plan-tree"),
    path("followup/voice-callbacks/", views.VoiceCallbackView.as_view(), name="followup-voice-callback"),
    path("my/cases/<uuid:uuid>/followups/", views.MyFollowupsView.as_view(), name="followup-my-followups"),
    path("cases/<uuid:uuid>/followup-tags/", views.CaseTagsView.as_view(), name="followup-case-tags"),
    path("cases/<uuid:case_uuid>/followup-tags/<uuid:uuid>/", views.CaseTagDetailView.as_view(),
         name="followup-case-tag"),
]
