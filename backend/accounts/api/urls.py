from django.urls import path

from accounts.api import views

urlpatterns = [
    # staff authentication
    path("auth/otp/", views.StaffOtpView.as_view(), name="auth-otp"),
    path("auth/login/", views.StaffLoginView.as_view(), name="auth-login"),
    path("auth/admin-login/otp/", views.AdminOtpView.as_view(), name="auth-admin-otp"),
    path("auth/admin-login/", views.AdminLoginView.as_view(), name="auth-admin-login"),
    path("auth/register/", views.RegisterView.as_view(), name="auth-register"),
    path("auth/refresh/", views.StaffRefreshView.as_view(), name="auth-refresh"),
    path("auth/logout/", views.StaffLogoutView.as_view(), name="auth-logout"),
    path("auth/me/", views.MeView.as_view(), name="auth-me"),
    # patient authentication
    path("patient-auth/wechat-login/", views.WechatLoginView.as_view(), name="patient-auth-wechat-login"),
    path("patient-auth/otp/", views.PatientOtpView.as_view(), name="patient-auth-otp"),
    path("patient-auth/login/", views.PatientLoginView.as_view(), name="patient-auth-login"),
    path("patient-auth/bind/", views.PatientBindView.as_view(), name="patient-auth-bind"),
    path("patient-auth/refresh/", views.PatientRefreshView.as_view(), name="patient-auth-refresh"),
    path("patient-auth/logout/", views.PatientLogoutView.as_view(), name="patient-auth-logout"),
    path("patient-auth/me/", views.PatientMeView.as_view(), name="patient-auth-me"),
    # users and permissions administration (Y1, Y2)
    path("users/", views.UserListView.as_view(), name="user-list"),
    path("users/<uuid:uuid>/", views.UserDetailView.as_view(), name="user-detail"),
    path("users/<uuid:uuid>/permissions/", views.UserPermissionsView.as_view(), name="user-permissions"),
    path("permissions/", views.PermissionListView.as_view(), name="permission-list"),
    path("roles/", views.RoleListView.as_view(), name="role-list"),
    path("roles/<slug:slug>/permissions/", views.RolePermissionsView.as_view(), name="role-permissions"),
]
