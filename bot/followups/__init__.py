"""Follow-ups: checking back with a young person a few days after a next step.

``timing`` says when (a delay, then the next moment inside the sending
hours: never at night); ``models`` and ``store`` keep them in the app
database, so they survive restarts; ``scheduler`` sends the due ones through
the gateway, claiming each one in the database first so that none is sent
twice.
"""
