"""Activities a young person could do: the catalogue and the recommender.

See ``bot/activities/README.md`` for the catalogue format and how staff add
local entries.
"""
