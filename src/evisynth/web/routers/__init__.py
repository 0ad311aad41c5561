"""One router per area of the web app; ``create_app`` includes them in this order."""

from evisynth.web.routers import (
    accounts,
    analysis,
    appraisal,
    extraction,
    projects,
    protocol,
    reports,
    screening,
    studies,
    team,
)

ROUTERS = (accounts.router, projects.router, protocol.router, screening.router, studies.router,
           extraction.router, appraisal.router, analysis.router, reports.router,
           team.router)
