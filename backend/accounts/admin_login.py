"""Django admin login with the second factor (MLPS 2.0 身份鉴别 d): password, then an SMS code.

The admin site is an admin web like any other, so it goes through the same services as the API's admin
login: a right password sends a code; password + code logs in. A password alone never opens the admin.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.services import admin_login_start, admin_login_verify
from core.errors import DomainError


class TwoFactorAdminAuthenticationForm(AdminAuthenticationForm):
    code = forms.CharField(
        label=_("SMS verification code"),
        required=False,
        max_length=6,
        help_text=_("Leave empty on the first attempt: a code is sent to your phone."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean(self):
        phone = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        code = (self.cleaned_data.get("code") or "").strip()
        if not phone or not password:
            return self.cleaned_data
        try:
            if not code:
                admin_login_start(phone=phone, password=password)
                raise ValidationError(
                    _("A verification code was sent to your phone; enter it with your password."), code="code_sent"
                )
            self.user_cache = admin_login_verify(phone=phone, password=password, code=code)
        except DomainError as exc:
            raise ValidationError(str(exc.message), code=exc.code) from exc
        self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


def install():
    admin.site.login_form = TwoFactorAdminAuthenticationForm
    admin.site.login_template = "accounts/admin_login.html"
