"""One router per area of the web app; ``create_app`` includes them in this order."""

from evisynth.web.routers import accounts, analysis, appraisal, extraction, projects, reports, screening

ROUTERS = (accounts.router, projects.router, screening.router, reports.router, analysis.router,
           extraction.router, appraisal.router)
