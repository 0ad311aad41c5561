"""Claim appraisal: find the health claims in an article and judge each against the evidence.

Pure domain code (no I/O): ``text`` (normalisation, sentences, units, segmentation), ``lexicon``
(bilingual concepts), ``extract`` (claims and their structure), ``retrieve`` (BM25), ``verdict``
(the rules), ``appraise`` (the whole article, and agreement with a hand-annotated set). Reading
the evidence YAML and article files is ``evisynth.io.evidence``'s job; the command is
``evisynth appraise``.
"""

from evisynth.claims.appraise import AgreementReport, EvidenceBase, appraise, compare, entry_from_dict
from evisynth.claims.extract import extract_claims
from evisynth.claims.model import (
    VERDICT_WORDS,
    VERDICTS,
    ArticleAppraisal,
    Claim,
    ClaimAppraisal,
    EvidenceEntry,
)

__all__ = [
    "VERDICTS",
    "VERDICT_WORDS",
    "AgreementReport",
    "ArticleAppraisal",
    "Claim",
    "ClaimAppraisal",
    "EvidenceBase",
    "EvidenceEntry",
    "appraise",
    "compare",
    "entry_from_dict",
    "extract_claims",
]
