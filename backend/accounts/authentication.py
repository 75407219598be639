"""JWT authentication for both principals: staff (accounts.User) and patients (separate token type)."""

from rest_framework_simplejwt.authentication import JWTAuthentication


class PrincipalJWTAuthentication(JWTAuthentication):
    def get_user(self, validated_token):
        return super().get_user(validated_token)
