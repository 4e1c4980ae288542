"""Classification: speech-to-text, language, watch-lists, entities, privilege.

Built in the classification issue.
"""
