"""How Kafka clients connect, in the words of each client library.

One translation of the ``JOBMATCH_KAFKA_SECURITY_PROTOCOL``, ``_SASL_MECHANISM``,
``_SASL_USERNAME``, ``_SASL_PASSWORD`` and ``_SSL_CAFILE`` settings, so that every client
connects the same way:

- :func:`kafka_python_kwargs` for kafka-python 3 (``EventProducer``, the admin client);
- :func:`aiokafka_kwargs` for aiokafka (the topic tails, the trainer);
- :func:`faust_credentials` for Faust's ``broker_credentials`` (the app's consumer,
  producers and the offset probes of ``/health``).

With PLAINTEXT (the default) the first two are empty and the third is None: the clients are
built exactly as without this module. The broker's certificate is always verified, host
name included; there is no setting to turn that off.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import TYPE_CHECKING, Any

from settings import Settings

if TYPE_CHECKING:
    from faust.types.auth import CredentialsT


def uses_tls(settings: Settings) -> bool:
    return settings.kafka_security_protocol in ("SSL", "SASL_SSL")


def uses_sasl(settings: Settings) -> bool:
    return settings.kafka_security_protocol == "SASL_SSL"


def _cafile(settings: Settings) -> str | None:
    path = settings.kafka_ssl_cafile
    if not path:
        return None  # the system's trusted CAs
    if not Path(path).is_file():
        raise ValueError(f"JOBMATCH_KAFKA_SSL_CAFILE: no such file: {path}")
    return path


def _sasl(settings: Settings) -> dict[str, Any]:
    return {
        "sasl_mechanism": settings.kafka_sasl_mechanism,
        "sasl_plain_username": settings.kafka_sasl_username,
        "sasl_plain_password": settings.kafka_sasl_password,
    }


def kafka_python_kwargs(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``kafka.KafkaProducer`` / ``KafkaAdminClient`` /
    ``KafkaConsumer``; empty for PLAINTEXT."""
    if not uses_tls(settings):
        return {}
    kwargs: dict[str, Any] = {"security_protocol": settings.kafka_security_protocol}
    cafile = _cafile(settings)
    if cafile is not None:
        kwargs["ssl_cafile"] = cafile
    if uses_sasl(settings):
        kwargs.update(_sasl(settings))
    return kwargs


def ssl_context(settings: Settings) -> ssl.SSLContext:
    """A client TLS context that verifies the broker against ``kafka_ssl_cafile`` (or the
    system's CAs), host name included."""
    from aiokafka.helpers import create_ssl_context

    context: ssl.SSLContext = create_ssl_context(cafile=_cafile(settings))
    return context


def aiokafka_kwargs(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``AIOKafkaConsumer`` / ``AIOKafkaProducer``; empty for
    PLAINTEXT."""
    if not uses_tls(settings):
        return {}
    kwargs: dict[str, Any] = {
        "security_protocol": settings.kafka_security_protocol,
        "ssl_context": ssl_context(settings),
    }
    if uses_sasl(settings):
        kwargs.update(_sasl(settings))
    return kwargs


def faust_credentials(settings: Settings) -> CredentialsT | None:
    """``broker_credentials`` for ``faust.App``; None for PLAINTEXT (Faust's default)."""
    if not uses_tls(settings):
        return None
    import faust

    context = ssl_context(settings)
    if not uses_sasl(settings):
        return faust.SSLCredentials(context)
    # With an SSL context, Faust's SASLCredentials speak SASL_SSL (not SASL_PLAINTEXT).
    return faust.SASLCredentials(
        username=settings.kafka_sasl_username,
        password=settings.kafka_sasl_password,
        ssl_context=context,
        mechanism=settings.kafka_sasl_mechanism,
    )
