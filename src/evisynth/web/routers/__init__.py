"""One router per area of the web app; ``create_app`` includes them in this order."""

from evisynth.web.routers import (
    accounts,
    analysis,
    appraisal,
    dedup,
    extraction,
    projects,
    protocol,
    records,
    reports,
    screening,
    studies,
    team,
)

ROUTERS = (accounts.router, projects.router, protocol.router, records.router, dedup.router,
           screening.router, studies.router, extraction.router, appraisal.router, analysis.router,
           reports.router, team.router)
