"""Assembly: journal records into communications (calls, messages, data sessions).

Built in the assembly issue.
"""
