"""Custom actions served by rasa-sdk (modern environment).

One module per topic; an action class is named after its action.
"""
