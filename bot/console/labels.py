"""French wording of the console's codes: roles, outcomes, dangers, profile."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any

ROLES = {
    "counsellor": "Conseiller·e",
    "supervisor": "Superviseur·e",
    "editor": "Éditeur·rice",
    "admin": "Administrateur·rice",
}

CHANNELS = {"webchat": "Web chat", "telegram": "Telegram", "discord": "Discord"}

STATUSES = {
    "waiting": "En attente",
    "taken": "Prise en charge",
    "handed_back": "Rendue au bot",
    "closed": "Clôturée",
}

OUTCOMES = {
    "oriented": "Orienté·e vers une structure",
    "appointment": "Rendez-vous pris",
    "no_answer": "Pas de réponse",
    "other": "Autre",
}

SEVERITIES = {0: "Demande", 1: "Faible", 2: "Moyenne", 3: "Élevée", 4: "Critique"}

# With the number the young person was given (bot/safety/responses.yml).
DANGERS = {
    "suicide": "Idées suicidaires, automutilation (3114)",
    "child_abuse": "Enfant ou ado en danger (119)",
    "partner_violence": "Violences dans le couple (3919)",
    "homeless": "Sans abri ce soir (115)",
    "cyber_harassment": "Cyberharcèlement (3018)",
    "immediate_danger": "Danger immédiat (17 / 112)",
}

# The profile as the young person said it: the situation summary they read
# (its lines, in French), then these facts. Other keys are for the bot's own
# use (codes, dates, flags) and stay out of the counsellor's way.
PROFILE_FIELDS = {
    "age_band": "Tranche d'âge",
    "commune": "Commune",
    "department": "Département",
    "mission_locale": "Mission Locale",
}
SUMMARY = "summary"
SUMMARY_LABEL = "Situation"
ORIENTATION = "orientation"
ACTIVITIES = (
    ("activities_shown", "Idées d'activités proposées"),
    ("activity_chosen", "Activité choisie"),
    ("activity_next_step", "Petit pas pour la semaine"),
)


def danger(category: str | None) -> str:
    if category is None:
        return "Danger (catégorie inconnue)"
    return DANGERS.get(category, category)


def severity(level: int) -> str:
    return SEVERITIES.get(level, str(level))


def profile_rows(profile: dict[str, Any]) -> list[tuple[str, str]]:
    """The learnt profile as (label, value) lines a counsellor reads."""
    summary = [str(line) for line in profile.get(SUMMARY) or []]
    # One label for the whole summary, a line each.
    rows = [(SUMMARY_LABEL if i == 0 else "", line) for i, line in enumerate(summary)]
    if not rows:  # nothing said back yet: the raw facts that are known
        rows = [
            (label, _value(profile[key]))
            for key, label in (("age", "Âge"), ("place", "Lieu"))
            if profile.get(key) is not None
        ]
    rows += [
        (label, _value(profile[key]))
        for key, label in PROFILE_FIELDS.items()
        if _value(profile.get(key))
    ]
    orientation = profile.get(ORIENTATION)
    if isinstance(orientation, dict) and orientation.get("mission_locales"):
        rows.append(("Mission Locale indiquée", _value(orientation["mission_locales"])))
    rows += [
        (label, _value(profile[key]))
        for key, label in ACTIVITIES
        if _value(profile.get(key))
    ]
    return rows


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, list | tuple | set):
        return ", ".join(_value(v) for v in value if v not in (None, ""))
    if isinstance(value, dict):
        return ", ".join(f"{k} : {_value(v)}" for k, v in value.items())
    return "" if value is None else str(value)


def clock(moment: datetime | None, zone: tzinfo) -> str:
    """``14:05`` today, ``03/12 14:05`` another day (console's time zone)."""
    if moment is None:
        return ""
    local = _local(moment, zone)
    if local.date() == datetime.now(zone).date():
        return local.strftime("%H:%M")
    return local.strftime("%d/%m %H:%M")


def waited(moment: datetime, zone: tzinfo) -> str:
    """How long ago, in words a counsellor scans: ``4 min``, ``2 h 10``."""
    minutes = int((datetime.now(zone) - _local(moment, zone)).total_seconds() // 60)
    if minutes < 1:
        return "à l'instant"
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {rest:02d}"
    return f"{hours // 24} j"


def _local(moment: datetime, zone: tzinfo) -> datetime:
    if moment.tzinfo is None:  # SQLite hands back naive UTC datetimes
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone)
