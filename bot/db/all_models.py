"""Imports every module that defines tables, so that metadata is complete.

Add a line here when a package gets models of its own.
"""

import bot.followups.models
import bot.orientation.models  # noqa: F401
from bot.db import (
    console_models,  # noqa: F401
    models,  # noqa: F401
)
