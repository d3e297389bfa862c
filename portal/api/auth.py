"""Tokens for scripts, "who am I", and the JSON 404 for paths the API does not have.

``POST /api/v1/auth/token/`` with ``username`` and ``password`` answers ``{"token": "..."}``;
send it as ``Authorization: Token <key>``. ``DELETE`` on the same URL (with the token) revokes
it. Password attempts are throttled per client address (the ``token`` rate), and a user name
that failed too often from one address is locked out like the portal's sign-in (django-axes,
portal/accounts.py): 429 with code ``locked_out``. With ``API_TOKEN_TTL_DAYS`` set, a token older
than that is refused (401) and deleted; a password change or deactivation deletes it at once.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from planner.roles import ROLES, has_role
from portal.accounts import token_expired
from portal.api.parsers import JSONParser
from portal.api.throttling import AnonRateThrottle, TokenRateThrottle, UserRateThrottle


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as 'Authorization: Token <token>'")


class TokenView(ObtainAuthToken):
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    throttle_classes = [AnonRateThrottle, TokenRateThrottle]

    def get_permissions(self):
        return [IsAuthenticated()] if self.request.method == "DELETE" else [AllowAny()]

    def get_throttles(self):
        if self.request.method == "DELETE":
            return [UserRateThrottle()]
        return super().get_throttles()

    @extend_schema(request=AuthTokenSerializer, responses=TokenSerializer, auth=[])
    def post(self, request, *args, **kwargs):
        """Your API token (the same one each time until you revoke it or it expires)."""
        try:
            serializer = self.get_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            user = serializer.validated_data["user"]
            token, _ = Token.objects.get_or_create(user=user)
            if token_expired(token):
                token.delete()
                token = Token.objects.create(user=user)
            return Response({"token": token.key})
        finally:
            # django-axes marks the request it was given (DRF's); its middleware, which
            # answers a lockout with 429, reads Django's.
            for name in ("axes_locked_out", "axes_credentials"):
                if name in request.__dict__:
                    setattr(request._request, name, request.__dict__[name])

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, *args, **kwargs):
        """Revoke your token: scripts using it get 401 until they ask for a new one."""
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=ROLES), help_text="owners, approvers, operators"
    )


class MeView(APIView):
    """Who the request is authenticated as, and their roles."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        roles = [role for role in ROLES if has_role(request.user, role)]
        return Response(MeSerializer({"username": request.user.username, "roles": roles}).data)


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@permission_classes([AllowAny])
def not_found(request, *args, **kwargs):
    raise NotFound("No such API endpoint: the list is at /api/v1/ and in /api/v1/schema/.")
