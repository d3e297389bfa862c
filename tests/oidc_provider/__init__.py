"""A real OpenID Connect provider for the tests: a small Django project (django-oauth-toolkit in
OIDC mode) that tests start as a separate process on 127.0.0.1 (``python -m tests.oidc_provider``)
and stop. It signs ID tokens with an RSA key made at start, publishes its discovery document and
JWKS, and sends the user's groups in a ``groups`` claim, as Entra ID and AD FS can."""
