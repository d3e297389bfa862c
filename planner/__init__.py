"""The planning domain: models, services, the pure sizing engine and rules, tasks, reports."""
