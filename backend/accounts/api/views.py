"""Thin views over accounts.services / selectors. Every view declares its authentication and permissions."""

from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.api import serializers as s
from accounts.authentication import PrincipalJWTAuthentication
from accounts.conf import conf
from accounts.models import Role, User
from accounts.permissions import MANAGE_PERMISSIONS, MANAGE_USERS, IsPatient, IsStaff, SecondFactor, requires
from accounts.tokens import PATIENT, STAFF
from core.errors import NotFound


def _otp_sent():
    return {"expires_in": conf("OTP_TTL_SECONDS"), "resend_after": max(1, 60 // max(1, conf("OTP_PHONE_PER_MINUTE")))}


def _user_prefetched(user):
    return selectors.user_get(uuid=user.uuid)


class PublicView(APIView):
    """Login-type endpoints: no token needed (and none looked at)."""

    authentication_classes = []
    permission_classes = [AllowAny]


def _valid(serializer_class, request):
    ser = serializer_class(data=request.data)
    ser.is_valid(raise_exception=True)
    return ser.validated_data


# --- staff authentication ------------------------------------------------------------------------------------


class StaffOtpView(PublicView):
    @extend_schema(request=s.StaffOtpRequestInput, responses={202: s.OtpSentOutput}, auth=[], tags=["auth"],
                   summary="Send an SMS code for staff login or real-name registration")
    def post(self, request):
        data = _valid(s.StaffOtpRequestInput, request)
        services.staff_otp_request(phone=data["phone"], purpose=data["purpose"])
        return Response(_otp_sent(), status=status.HTTP_202_ACCEPTED)


class StaffLoginView(PublicView):
    @extend_schema(request=s.StaffLoginInput, responses=s.StaffSessionOutput, auth=[], tags=["auth"],
                   summary="Staff login: phone + SMS code (or password)")
    def post(self, request):
        data = _valid(s.StaffLoginInput, request)
        if data.get("code"):
            user, tokens = services.staff_login_otp(phone=data["phone"], code=data["code"])
        else:
            user, tokens = services.staff_login_password(phone=data["phone"], password=data["password"])
        return Response(s.StaffSessionOutput({**tokens, "user": _user_prefetched(user)}).data)


class AdminOtpView(PublicView):
    @extend_schema(request=s.AdminOtpInput, responses={202: s.OtpSentOutput}, auth=[], tags=["auth"],
                   summary="Admin-web login step 1: password right → SMS code for the second factor")
    def post(self, request):
        data = _valid(s.AdminOtpInput, request)
        services.admin_login_start(phone=data["phone"], password=data["password"])
        return Response(_otp_sent(), status=status.HTTP_202_ACCEPTED)


class AdminLoginView(PublicView):
    @extend_schema(request=s.AdminLoginInput, responses=s.StaffSessionOutput, auth=[], tags=["auth"],
                   summary='Admin-web login step 2: password + SMS code → tokens with amr ["otp","pwd"]')
    def post(self, request):
        data = _valid(s.AdminLoginInput, request)
        user, tokens = services.admin_login(phone=data["phone"], password=data["password"], code=data["code"])
        return Response(s.StaffSessionOutput({**tokens, "user": _user_prefetched(user)}).data)


class RegisterView(PublicView):
    @extend_schema(request=s.RegisterInput, responses={201: s.StaffSessionOutput}, auth=[], tags=["auth"],
                   summary="Staff real-name registration matched against the HIS staff roster")
    def post(self, request):
        data = _valid(s.RegisterInput, request)
        user, tokens = services.staff_register(**data)
        return Response(s.StaffSessionOutput({**tokens, "user": _user_prefetched(user)}).data,
                        status=status.HTTP_201_CREATED)


class _RefreshView(PublicView):
    principal = STAFF

    @extend_schema(request=s.RefreshInput, responses=s.TokenPairOutput, auth=[])
    def post(self, request):
        data = _valid(s.RefreshInput, request)
        return Response(services.session_refresh(refresh=data["refresh"], principal=self.principal))


class _LogoutView(PublicView):
    principal = STAFF

    @extend_schema(request=s.RefreshInput, responses={204: None}, auth=[])
    def post(self, request):
        data = _valid(s.RefreshInput, request)
        services.session_logout(refresh=data["refresh"], principal=self.principal)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["auth"], summary="Rotate a staff refresh token (the old one is blacklisted)")
class StaffRefreshView(_RefreshView):
    principal = STAFF


@extend_schema(tags=["auth"], summary="Staff logout: blacklist the refresh token")
class StaffLogoutView(_LogoutView):
    principal = STAFF


class MeView(APIView):
    authentication_classes = [PrincipalJWTAuthentication]
    permission_classes = [IsStaff]

    @extend_schema(responses=s.MeOutput, tags=["auth"], summary="The logged-in staff member, roles, permissions, wards")
    def get(self, request):
        profile = selectors.staff_profile(request.user)
        profile["user"] = _user_prefetched(request.user)
        return Response(s.MeOutput(profile).data)


# --- patient authentication ----------------------------------------------------------------------------------


class WechatLoginView(PublicView):
    @extend_schema(request=s.WechatLoginInput, responses=s.PatientSessionOutput, auth=[], tags=["patient-auth"],
                   summary="Patient login from the mini-program (wx.login code → code2Session)")
    def post(self, request):
        data = _valid(s.WechatLoginInput, request)
        account, tokens = services.patient_login_wechat(code=data["code"])
        return Response(s.PatientSessionOutput({**tokens, "account": account}).data)


class PatientOtpView(PublicView):
    @extend_schema(request=s.PatientOtpRequestInput, responses={202: s.OtpSentOutput}, auth=[], tags=["patient-auth"],
                   summary="Send an SMS code for patient login or real-name binding")
    def post(self, request):
        data = _valid(s.PatientOtpRequestInput, request)
        services.patient_otp_request(phone=data["phone"], purpose=data["purpose"])
        return Response(_otp_sent(), status=status.HTTP_202_ACCEPTED)


class PatientLoginView(PublicView):
    @extend_schema(request=s.PatientLoginInput, responses=s.PatientSessionOutput, auth=[], tags=["patient-auth"],
                   summary="Patient login: phone + SMS code")
    def post(self, request):
        data = _valid(s.PatientLoginInput, request)
        account, tokens = services.patient_login_otp(phone=data["phone"], code=data["code"])
        return Response(s.PatientSessionOutput({**tokens, "account": account}).data)


class PatientBindView(APIView):
    authentication_classes = [PrincipalJWTAuthentication]
    permission_classes = [IsPatient]

    @extend_schema(request=s.PatientBindInput, responses=s.PatientAccountOutput, tags=["patient-auth"],
                   summary="Real-name binding to the hospital record (name + ID number + verified phone)")
    def post(self, request):
        data = _valid(s.PatientBindInput, request)
        account = services.patient_bind(account=request.user, **data)
        return Response(s.PatientAccountOutput(account).data)


class PatientMeView(APIView):
    authentication_classes = [PrincipalJWTAuthentication]
    permission_classes = [IsPatient]

    @extend_schema(responses=s.PatientAccountOutput, tags=["patient-auth"], summary="The logged-in patient account")
    def get(self, request):
        return Response(s.PatientAccountOutput(request.user).data)


@extend_schema(tags=["patient-auth"], summary="Rotate a patient refresh token (the old one is blacklisted)")
class PatientRefreshView(_RefreshView):
    principal = PATIENT


@extend_schema(tags=["patient-auth"], summary="Patient logout: blacklist the refresh token")
class PatientLogoutView(_LogoutView):
    principal = PATIENT


# --- users and permissions administration (Y1, Y2) ------------------------------------------------------------

ADMIN_AUTH = [PrincipalJWTAuthentication]
MANAGE_USERS_PERMS = [IsStaff, requires(MANAGE_USERS.slug), SecondFactor]
MANAGE_PERMS_PERMS = [IsStaff, requires(MANAGE_PERMISSIONS.slug), SecondFactor]


def _user_or_404(uuid):
    user = selectors.user_get(uuid=uuid)
    if user is None:
        raise NotFound()
    return user


@extend_schema(tags=["users"])
class UserListView(GenericAPIView):
    authentication_classes = ADMIN_AUTH
    permission_classes = MANAGE_USERS_PERMS
    serializer_class = s.UserListItemOutput
    queryset = User.objects.none()

    @extend_schema(
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description="name, phone or employee number"),
            OpenApiParameter("department", OpenApiTypes.UUID),
            OpenApiParameter("ward", OpenApiTypes.UUID),
            OpenApiParameter("role", OpenApiTypes.STR),
            OpenApiParameter("is_active", OpenApiTypes.BOOL),
        ],
        responses=s.UserListItemOutput(many=True),
        summary="List users (ID numbers and phone numbers masked)",
    )
    def get(self, request):
        params = request.query_params
        ser = s.UserFilterInput(data=params)
        ser.is_valid(raise_exception=True)
        page = self.paginate_queryset(selectors.user_list(**ser.validated_data))
        return self.get_paginated_response(s.UserListItemOutput(page, many=True).data)

    @extend_schema(request=s.UserCreateInput, responses={201: s.UserOutput}, summary="Create a user")
    def post(self, request):
        data = _valid(s.UserCreateInput, request)
        user = services.user_create(actor=request.user, **data)
        return Response(s.UserOutput(_user_prefetched(user)).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["users"])
class UserDetailView(APIView):
    authentication_classes = ADMIN_AUTH
    permission_classes = MANAGE_USERS_PERMS

    @extend_schema(responses=s.UserOutput, summary="A user (ID number masked)")
    def get(self, request, uuid):
        return Response(s.UserOutput(_user_or_404(uuid)).data)

    @extend_schema(request=s.UserUpdateInput, responses=s.UserOutput,
                   summary="Change a user: enabled flag, department, wards, management modes, roles")
    def patch(self, request, uuid):
        user = _user_or_404(uuid)
        data = _valid(s.UserUpdateInput, request)
        user = services.user_update(actor=request.user, user=user, **data)
        return Response(s.UserOutput(_user_prefetched(user)).data)


@extend_schema(tags=["permissions"])
class UserPermissionsView(APIView):
    authentication_classes = ADMIN_AUTH
    permission_classes = MANAGE_PERMS_PERMS

    @extend_schema(responses=s.PermissionSlugsOutput, summary="A user's extra (per-user) permission grants")
    def get(self, request, uuid):
        user = _user_or_404(uuid)
        return Response({"permissions": sorted(p.slug for p in user.extra_permissions.all())})

    @extend_schema(request=s.PermissionSlugsInput, responses=s.PermissionSlugsOutput,
                   summary="Replace a user's extra permission grants")
    def put(self, request, uuid):
        user = _user_or_404(uuid)
        data = _valid(s.PermissionSlugsInput, request)
        services.user_set_extra_permissions(actor=request.user, user=user, slugs=data["permissions"])
        return Response({"permissions": sorted(user.extra_permissions.values_list("slug", flat=True))})


@extend_schema(tags=["permissions"])
class PermissionListView(APIView):
    authentication_classes = ADMIN_AUTH
    permission_classes = MANAGE_PERMS_PERMS

    @extend_schema(responses=s.PermissionOutput(many=True), summary="Every function permission declared in code")
    def get(self, request):
        return Response(s.PermissionOutput(selectors.permission_list(), many=True).data)


@extend_schema(tags=["permissions"])
class RoleListView(APIView):
    authentication_classes = ADMIN_AUTH
    permission_classes = MANAGE_PERMS_PERMS

    @extend_schema(responses=s.RoleOutput(many=True), summary="Roles with their granted permissions")
    def get(self, request):
        return Response(s.RoleOutput(selectors.role_list(), many=True).data)


@extend_schema(tags=["permissions"])
class RolePermissionsView(APIView):
    authentication_classes = ADMIN_AUTH
    permission_classes = MANAGE_PERMS_PERMS

    def _role(self, slug):
        role = Role.objects.prefetch_related(Prefetch("permissions")).filter(slug=slug).first()
        if role is None:
            raise NotFound()
        return role

    @extend_schema(responses=s.PermissionSlugsOutput, summary="The permissions granted to a role")
    def get(self, request, slug):
        return Response({"permissions": sorted(p.slug for p in self._role(slug).permissions.all())})

    @extend_schema(request=s.PermissionSlugsInput, responses=s.PermissionSlugsOutput,
                   summary="Replace the permissions granted to a role")
    def put(self, request, slug):
        role = self._role(slug)
        data = _valid(s.PermissionSlugsInput, request)
        role = services.role_set_permissions(actor=request.user, role=role, slugs=data["permissions"])
        return Response({"permissions": sorted(role.permissions.values_list("slug", flat=True))})

