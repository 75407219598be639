from django.urls import path

from messaging.api import views

urlpatterns = [
    path("message-plans/", views.PlanListView.as_view(), name="messaging-plans"),
    path("message-plans/<uuid:uuid>/", views.PlanDetailView.as_view(), name="messaging-plan"),
    path("message-plans/<uuid:uuid>/templates/", views.PlanTemplatesView.as_view(), name="messaging-plan-templates"),
    path("message-plan-options/", views.PlanOptionsView.as_view(), name="messaging-plan-options"),
    path("cases/<uuid:uuid>/messages/", views.CaseMessagesView.as_view(), name="messaging-case-messages"),
    path("inbox/messages/", views.StaffInboxView.as_view(), name="messaging-inbox"),
    path("inbox/messages/read-all/", views.StaffInboxReadAllView.as_view(), name="messaging-inbox-read-all"),
    path("inbox/messages/read/", views.StaffInboxReadView.as_view(), name="messaging-inbox-read"),
    path("inbox/unread-count/", views.StaffInboxUnreadView.as_view(), name="messaging-inbox-unread"),
    path("staff-devices/", views.DeviceListView.as_view(), name="messaging-devices"),
    path("staff-devices/<uuid:uuid>/", views.DeviceDetailView.as_view(), name="messaging-device"),
    path("my/messages/", views.MyInboxView.as_view(), name="messaging-my-inbox"),
    path("my/messages/read-all/", views.MyInboxReadAllView.as_view(), name="messaging-my-inbox-read-all"),
    path("my/messages/read/", views.MyInboxReadView.as_view(), name="messaging-my-inbox-read"),
    path("my/messages/unread-count/", views.MyInboxUnreadView.as_view(), name="messaging-my-inbox-unread"),
    path("sms-receipts/", views.SmsReceiptView.as_view(), name="messaging-sms-receipts"),
]
