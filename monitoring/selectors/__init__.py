"""Reads, one module per resource; every read of plant data takes the request's ``scope``.

``catalogue`` (machines, bearings, latest readings), ``readings`` (the reading stream),
``timeseries``, ``spectra``, ``dashboard`` (KPIs, trends) and ``system`` (health, stats, the
data version). Hot paths read plain documents with pymongo, which the API renders with the
declared serializers' compiled plans; the Mongo plumbing is ``monitoring.mongo``.
"""
