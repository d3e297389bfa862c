"""Services: load facts from the database, call the pure engine and rules, write results.

The only writers of results; the web views, the API, the tasks and the commands call them.
"""
