"""The operators' estate overview, on the web side: ``urls`` (for operators only), ``views``,
``tables`` and the drill-downs' query strings (``filters``). The figures come from
``planner.services.estate``."""
