"""Settings from environment variables: the one settings module of jobmatch.

The worker (``streams``), the portal, the CLI and the benchmarks all read their settings
here, so that none of them imports another for its configuration. ``Settings.from_env()``
reads the ``JOBMATCH_*`` variables (:mod:`settings.environment`, README.md).
"""

from settings.environment import (
    KAFKA_SASL_MECHANISMS,
    KAFKA_SECURITY_PROTOCOLS,
    MASK,
    Settings,
)

__all__ = ["KAFKA_SASL_MECHANISMS", "KAFKA_SECURITY_PROTOCOLS", "MASK", "Settings"]
