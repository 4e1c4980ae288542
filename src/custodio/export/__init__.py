"""Court bundles, their verification, destruction certificates.

Built in the court-workflow issue.
"""
