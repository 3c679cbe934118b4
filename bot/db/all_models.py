"""Imports every module that defines tables, so that metadata is complete.

Add a line here when a package gets models of its own.
"""

from bot.db import models  # noqa: F401
