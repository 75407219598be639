from django.urls import path

from consultation.api import views

urlpatterns = [
    # patient (mini-program)
    path("my/cases/<uuid:uuid>/wound-consultations/", views.MyWoundConsultationsView.as_view(),
         name="consultation-my-wound-consultations"),
    path("my/wound-consultations/<uuid:uuid>/", views.MyWoundConsultationView.as_view(),
         name="consultation-my-wound-consultation"),
    path("my/cases/<uuid:uuid>/conversation/", views.MyConversationView.as_view(), name="consultation-my-conversation"),
    path("my/cases/<uuid:uuid>/conversation/messages/", views.MyMessagesView.as_view(),
         name="consultation-my-messages"),
    path("my/cases/<uuid:uuid>/conversation/read/", views.MyReadView.as_view(), name="consultation-my-read"),
    # care team (follow-up management)
    path("wound-consultations/", views.WoundConsultationListView.as_view(), name="consultation-wound-list"),
    path("wound-consultations/<uuid:uuid>/", views.WoundConsultationView.as_view(), name="consultation-wound"),
    path("wound-consultations/<uuid:uuid>/answer/", views.WoundConsultationAnswerView.as_view(),
         name="consultation-wound-answer"),
    path("cases/<uuid:uuid>/wound-consultations/", views.CaseWoundConsultationsView.as_view(),
         name="consultation-case-wound-consultations"),
    path("consultation-conversations/", views.ConversationListView.as_view(), name="consultation-conversations"),
    path("cases/<uuid:uuid>/conversation/", views.ConversationView.as_view(), name="consultation-conversation"),
    path("cases/<uuid:uuid>/conversation/messages/", views.MessagesView.as_view(), name="consultation-messages"),
    path("cases/<uuid:uuid>/conversation/read/", views.ReadView.as_view(), name="consultation-read"),
]
