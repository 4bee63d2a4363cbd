"""Remote therapeutic monitoring (RTM) for US clinics: who is enrolled, their days with data per 30-day period,
the staff's management minutes per calendar month, and which billing codes' thresholds are met.

Backstep reports eligibility; it never submits claims. The codes and their
thresholds are data (`BillingCode`, edited by a site administrator each
January), and the arithmetic is a pure module (`monitoring.periods`).

monitoring builds on patients (plans, sessions, check-ins) and never the
reverse: patient pages show monitoring through a template tag
(`monitoring.templatetags.monitoring`), not through patients' own code.
"""
