"""Demo fixtures: one app of every style, for `tokenvault demo` and `tokenvault sim --seed-demo`."""

from __future__ import annotations

from datetime import timedelta

from cryptography.hazmat.primitives import serialization

from vault.sim.simulator import Simulator

# Every value here is public on purpose (it is in the source): the simulator is the only thing
# that trusts them, and it listens on loopback only. Never register them with a real provider.
APP_TOKEN_APP_ID = "app_36c3e32a-dc18-11e8-89bd-0242ac130002"
APP_TOKEN_SECRET = "demo-app-secret"
JWT_APP_ID = "demo-unifize-app"
JWT_ORG_ID = "demo-org"
GITHUB_APP_ID = "123456"
GITHUB_INSTALLATION_ID = 424242
SHIFTIQ_PARTITION = "demo"
SHIFTIQ_SECRET = "demo-shiftiq-secret"
SHIFTIQ_SECRET_AGE = timedelta(days=80)
"""Old enough that the demo shows the secret's own expiry warning (it dies at day 90)."""
OAUTH_CLIENT_ID = "demo-client"
OAUTH_CLIENT_SECRET = "demo-client-secret"
OAUTH_SCOPES = ("read", "write")
SERVICE_ACCOUNT_EMAIL = "reports@acme-demo.iam.gserviceaccount.com"
SERVICE_ACCOUNT_SCOPES = (
    "https://www.googleapis.com/auth/bigquery.readonly",
    "https://www.googleapis.com/auth/devstorage.read_only",
)

PRIVATE_KEY_PEM = """\
-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDvNRxDq8gpggp5
i8uZOYkvhh/4LlR3ZdA6teB8fhccVk5GHW5ciWdwoggFDhLQjwq1WFWTXUTrLG1G
wPBDU6N16Zm+AOkma2Vjlrfm7xnnQp9rlFTq0C1r5kriuWEjmkupWoC4wz1WMjxN
5a6Bw7mAzZcE9hmCgUSRAn/H3Poc2VQydwsWxjzF54iu/uTJdMMDlVHIQXcEEoT2
gr5xGqSQjeBZoWGvkmuJx51WtNIEfVT/nLWNpICtoC65Yk7l8du1UB2vPxs9olwv
OtRPBscwkJHMSrcDfE2xuom/sS/j8UFBgAqLenb3sChI0QXMXb8VAednUm//BOYR
F/YjHA6fAgMBAAECggEABgLwreawRhLFjp5rxHMEtpQJU6RebQ26+O6/MIG+tPCa
UPrGXj75wYPg7beX03P00e/hXq22YK6iJGgO4bJFZl4zhenh8hw61RDhmEUkAoLT
HNICfFA1BAQql54PCeUDx8LFf18wuGzUxSRjiVFQ5SLFi9Nfer8i6P4GFhDAnF7x
ZNQwavSw87Bz0Qkyzj5u8cQO8lAvy+cUh1qHoplClDDC5POT2NyPWmj+7uChRzox
ouiZ/L5X5fadvrJrAaBBHZYTEaceuhQiUrd6Coz5j5yeywj58fuponzxVIOHoYmx
k7YwvUngteoFJAXOaCNjRvAT8xCwZPvCwF/XEoiiIQKBgQD9Bk6cikC6e63RPtq2
7BgDv6Tc/asAvvZFp0Fd71W+IHLJZ061FytPDhv9GC8qIzaI1Sg6S8s6I/rLi1+H
uEn2XWe8eTnIXqeG2h5regAjMob0BwRvoCw2JI4srD5wjqYNHojkVxOEnR6YL3p5
andA5Wk0yaIdWt6gE6EcuGrFkQKBgQDyBTVzMHzRqFsOZ77cWTTFc6g5W5ZKHN9A
BPLibguYVwcuTmwKkJFbIK/svM1xMHl9gA/uiSRAHgFzJAmpy2GGPhN9E3wr+0pa
aEKvFYdSm+4ya1BimGB41G2Ey9CbatlAqescVoBwIeCD0CMIbW8128MmFM63adZr
5R/kZPy5LwKBgCQVPCyywpxVeuo2LnaboKkYMWiafEJ0+SXhvj6pHO8qLXRvWRgW
H8T8XB1xz3gQ4XwN+dimamr2KpPQYmU2cMXDeEG2f/kFFpryjBgDo/VhBUHTplxM
2UE3YVcZkSX4EdIZIqh9inkE9xH441xhRHRqwuAWSRoqlUj6w6UW35MhAoGBAJoA
IoDHq8UlIbvK3DIOOXwjGjpVQw6pzI1KGNtoNsybJCCdGjamwzd/VzKG+Rs7QzNO
l9SrQ3vhG/8OQW/f0JDBU1lVWsAJyMg6a6RJSLCSNEG085Opbkm0snO71WPv24pA
FTEVAelYRSra+E/Wgtt8mXLT7q3bFOvXAjIs6HtVAoGAPWNRAVNsZNZG9SWv1hWD
5ilWvFsYheorqk7hWXQuOw2REetzQvkFWzM+ENqPqDLLlxa/1F4/h3RUy2UT6dhF
2XgFeWnYGVKpmeQTK7C/8EeX2I0l6RsQA7Dyad5un6eN+v59wl/K6RZYDoU8bFHr
CxCFJv0PZYmH60hUCOL3WWU=
-----END PRIVATE KEY-----
"""
"""The RSA key of the demo Unifize app, GitHub App and service account (PKCS#8, demo only)."""


def public_key_pem() -> str:
    """The public half of ``PRIVATE_KEY_PEM``."""
    key = serialization.load_pem_private_key(PRIVATE_KEY_PEM.encode(), password=None)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def seed(sim: Simulator) -> None:
    """Register the demo app of every style with ``sim``."""
    public = public_key_pem()
    sim.register_app_token_app(APP_TOKEN_APP_ID, APP_TOKEN_SECRET)
    sim.register_jwt_app(JWT_APP_ID, public, JWT_ORG_ID)
    sim.register_github_app(GITHUB_APP_ID, public, [GITHUB_INSTALLATION_ID])
    sim.register_shiftiq_secret(SHIFTIQ_PARTITION, SHIFTIQ_SECRET, sim.now() - SHIFTIQ_SECRET_AGE)
    sim.register_oauth_client(OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, OAUTH_SCOPES)
    sim.register_jwt_bearer_client(SERVICE_ACCOUNT_EMAIL, public, SERVICE_ACCOUNT_SCOPES)
