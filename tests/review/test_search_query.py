"""The "subject headings + free text" strategy of seed 000 (§2.3) in PubMed and CT.gov syntax."""

from __future__ import annotations

import pytest

from evisynth.review.errors import DomainError
from evisynth.review.search import Concept, Strategy, ctgov_params, pubmed_concept, pubmed_term

# Seed 000 §2.3: 维生素 K2、MK-4 … 慢性肾脏病、血管钙化、冠状动脉钙化; from inception to January 2023.
SEED_000 = Strategy(
    concepts=(
        Concept("vitamin K2", headings=("Vitamin K 2",), free_text=("vitamin K2", "menaquinone*", "MK-4"),
                role="intervention"),
        Concept("CKD", headings=("Renal Insufficiency, Chronic",),
                free_text=("chronic kidney disease", "CKD"), role="condition"),
        Concept("calcification", headings=("Vascular Calcification",),
                free_text=("vascular calcification", "coronary artery calcification"), role="condition"),
    ),
    date_to="2023/01/31",
)


def test_pubmed_query_ors_headings_and_free_text_and_ands_the_concepts() -> None:
    # Written by hand from PubMed's search field tags ([Mesh], [tiab]) and phrase quoting.
    assert pubmed_term(SEED_000) == (
        '("Vitamin K 2"[Mesh] OR "vitamin K2"[tiab] OR menaquinone*[tiab] OR "MK-4"[tiab])'
        ' AND ("Renal Insufficiency, Chronic"[Mesh] OR "chronic kidney disease"[tiab] OR CKD[tiab])'
        ' AND ("Vascular Calcification"[Mesh] OR "vascular calcification"[tiab]'
        ' OR "coronary artery calcification"[tiab])'
    )


def test_one_term_needs_no_parentheses_and_explode_can_be_turned_off() -> None:
    narrow = Concept("k2", headings=("Vitamin K 2",), explode=False)
    assert pubmed_concept(narrow) == '"Vitamin K 2"[Mesh:NoExp]'
    assert pubmed_concept(Concept("k2", free_text=("menaquinone*",)), field="tw") == "menaquinone*[tw]"


def test_ctgov_parameters_split_conditions_interventions_and_dates() -> None:
    assert ctgov_params(SEED_000) == {
        "query.cond": '("Renal Insufficiency, Chronic" OR "chronic kidney disease" OR CKD)'
                      ' AND ("Vascular Calcification" OR "coronary artery calcification")',
        "query.intr": '("Vitamin K 2" OR "vitamin K2" OR menaquinone OR "MK-4")',
        "filter.advanced": "AREA[StudyFirstPostDate]RANGE[MIN,2023-01-31]",
    }


def test_bad_strategies_are_refused_with_the_fix() -> None:
    with pytest.raises(DomainError, match="no heading and no free text"):
        Concept("empty")
    with pytest.raises(DomainError, match="holds quotes, brackets"):
        Concept("k2", free_text=('"vitamin K2"[tiab]',))
    with pytest.raises(DomainError, match="role must be one of condition, intervention, other"):
        Concept("k2", free_text=("k2",), role="population")
    with pytest.raises(DomainError, match="date_to must be YYYY"):
        Strategy((Concept("k2", free_text=("k2",)),), date_to="31.01.2023")
    with pytest.raises(DomainError, match="at least one concept"):
        Strategy(())
