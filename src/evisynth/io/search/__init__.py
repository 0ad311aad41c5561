"""Literature search clients: PubMed E-utilities and ClinicalTrials.gov API v2.

All network access goes through a replaceable transport (``evisynth.io.search._http``);
queries are built from a review's strategy by :mod:`evisynth.review.search`.
"""

from evisynth.io.search._http import (
    HttpRequest,
    HttpResponse,
    RateLimiter,
    SearchError,
    Transport,
    urllib_transport,
)
from evisynth.io.search.ctgov import ClinicalTrialsGov, CtgovDownload
from evisynth.io.search.pubmed import PubMed, PubMedDownload, SearchHit, parse_esearch

__all__ = [
    "ClinicalTrialsGov", "CtgovDownload", "HttpRequest", "HttpResponse", "PubMed", "PubMedDownload",
    "RateLimiter", "SearchError", "SearchHit", "Transport", "parse_esearch", "urllib_transport",
]
