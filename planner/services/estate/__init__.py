"""The operators' estate overview: rollups over the stored sizing results (DESIGN §1, operator).

Reads what the sizing services saved (AppResult, VmResult, Finding) and the estate's own rows;
sizes nothing. ``rollup.estate_overview()`` costs the same fixed number of queries whatever the
size of the estate (the catalogs, one row per app with its result, a few grouped counts), so the
page renders from stored results in about the same number of queries for 40 apps as for 1,000.

One module per concern:

- ``queries``: the sets behind the figures, defined once as query conditions
  (``app_conditions()``, ``app_state()``, ``vm_state()``, ``vm_protected()``, ``data_target_q()``);
  the rollups count them and the overview's drill-downs (``portal.overview.filters``) list them,
  so a figure and its drill-down always agree;
- ``capacity``: backup targets and recovery clouds, needed against available, and exhaustion;
- ``costs``: public-cloud cost month by month by target and subscription;
- ``onboarding``: the estate's onboarding calendar;
- ``rollup``: ``estate_overview()``, all of the above for the whole estate.
"""
