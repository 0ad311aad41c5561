"""find_duplicates on hand-made records: what must merge, what must wait for review, what must not."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evisynth.analysis.dedup import DedupResult, find_duplicates, journals_compatible, title_key
from evisynth.review.normalize import make_record
from evisynth.review.records import Record

TRIAL = "Intrapleural tissue plasminogen activator and DNase in pleural infection: a randomised trial"
AUTHORS = ["Rahman, Najib M.", "Maskell, Nick A.", "West, Alex", "Teoh, Richard"]


def rec(entry: int = 1, **fields: object) -> Record:
    """A record through the same normalization the readers use."""
    raw = {key: (list(value) if isinstance(value, list | tuple) else [str(value)])
           for key, value in fields.items()}
    return make_record(raw, source_file="hand.ris", entry=entry, format="ris", original="")


def base(entry: int = 1, **over: object) -> Record:
    fields: dict[str, object] = {
        "title": TRIAL, "authors": AUTHORS, "year": "2011", "journal": "New England Journal of Medicine",
        "volume": "365", "pages": "518-526",
    }
    fields.update(over)
    return rec(entry, **{k: v for k, v in fields.items() if v is not None})


def only_link(result: DedupResult) -> tuple[str, str]:
    assert len(result.links) == 1, result.links
    return result.links[0].rule, result.links[0].status


def test_doi_variants_merge() -> None:
    a = base(1, doi="https://doi.org/10.1056/NEJMoa1012740", title=TRIAL)
    b = base(2, doi="doi:10.1056/nejmoa1012740.", title=TRIAL.upper(), authors=["Rahman NM"])
    result = find_duplicates([a, b])
    assert only_link(result) == ("doi", "auto")
    assert result.groups == ((0, 1),)
    assert result.links[0].record == 1 and result.links[0].duplicate_of == 0


def test_pmid_match_merges() -> None:
    result = find_duplicates([base(1, pmid="21830966"), base(2, pmid="PMID: 21830966", pages="")])
    assert only_link(result) == ("pmid", "auto")


def test_title_case_and_punctuation_with_initials_merge() -> None:
    b = base(2, title="INTRAPLEURAL TISSUE PLASMINOGEN ACTIVATOR AND DNASE IN PLEURAL INFECTION - "
                      "A RANDOMISED TRIAL.", authors=["Rahman NM", "Maskell NA", "West A"],
             journal="N Engl J Med", pages="518-26")
    result = find_duplicates([base(1), b])
    assert only_link(result) == ("title+authors+year", "auto")


def test_database_annotations_do_not_hide_a_duplicate() -> None:
    b = base(2, title=TRIAL + ". [Erratum appears in N Engl J Med. 2011;365(21):2039]")
    result = find_duplicates([base(1), b])
    assert only_link(result)[1] == "auto"


@pytest.mark.parametrize(
    ("title", "key"),
    [
        ("Cervical neoplasia and the HIV-infected patient. [Review] [70 refs]",
         "cervical neoplasia and the hiv infected patient"),
        ("Control of effusions: a randomized trial [abstract no: 134]",
         "control of effusions a randomized trial"),
        ("Antibiotic prophylaxis. A randomized study. <ORIGINAL> PROPHYLAXIE ANTIBIOTIQUE",
         "antibiotic prophylaxis a randomized study"),
        ("The <i>Helicobacter</i> story", "helicobacter story"),
        ("Α-tocopherol and β-carotene in Ångström units",
         "alpha tocopherol and beta carotene in angstrom units"),
        ("Abstract number 5", "abstract number 5"),
    ],
)
def test_title_key_drops_database_annotations(title: str, key: str) -> None:
    assert title_key(title) == key


def test_erratum_is_not_merged_with_its_article() -> None:
    erratum = base(2, title="Erratum: " + TRIAL, pages="")
    result = find_duplicates([base(1), erratum])
    assert result.groups == ()
    assert all(link.status == "needs_review" for link in result.links)


def test_different_pages_are_not_merged() -> None:
    result = find_duplicates([base(1), base(2, pages="1012-1020")])
    assert result.groups == ()


def test_different_dois_are_not_merged() -> None:
    result = find_duplicates([base(1, doi="10.1000/a1"), base(2, doi="10.1000/b2")])
    assert result.groups == ()


def test_years_two_apart_are_not_merged() -> None:
    result = find_duplicates([base(1), base(2, year="2013", pages="", volume="")])
    assert result.groups == ()


def test_numbered_parts_are_not_merged() -> None:
    one = base(1, title="FOCUS 1: a randomized trial of ceftaroline in community-acquired pneumonia",
               pages="")
    two = base(2, title="FOCUS 2: a randomized trial of ceftaroline in community-acquired pneumonia",
               pages="")
    assert find_duplicates([one, two]).groups == ()


def test_conference_abstract_is_not_merged_with_the_article() -> None:
    abstract = base(2, record_type="conference paper", pages="")
    result = find_duplicates([base(1), abstract])
    assert result.groups == ()
    assert [link.status for link in result.links] == ["needs_review"]


def test_chinese_titles_match_natively() -> None:
    title = "胸腔内注射尿激酶治疗结核性胸膜炎的随机对照研究"
    a = rec(1, title=title, authors=["王伟", "李明"], year="2010", journal="中华结核和呼吸杂志",
            volume="33", pages="100-103")
    b = rec(2, title=title + "。", authors=["王伟", "李明"], year="2010", journal="中华结核和呼吸杂志")
    assert title_key(title) == title
    result = find_duplicates([a, b])
    assert only_link(result) == ("title+authors+year", "auto")


def test_chinese_and_english_versions_go_to_review_never_merged() -> None:
    zh = rec(1, title="胸腔内注射尿激酶治疗结核性胸膜炎的随机对照研究", authors=["王伟", "李明"],
             year="2010", journal="中华结核和呼吸杂志", volume="33", pages="100-103", language="chi")
    en = rec(2, title="Intrapleural urokinase for tuberculous pleurisy: a randomised controlled study",
             authors=["Wang W", "Li M"], year="2010", journal="Chinese Journal of Tuberculosis and "
             "Respiratory Diseases", volume="33", pages="100-3", language="English")
    result = find_duplicates([zh, en])
    assert only_link(result) == ("review:cross-language", "needs_review")
    assert result.groups == ()
    assert result.counts.pairs_awaiting_review == 1


def test_same_authors_issue_and_page_range_merge_a_translated_title() -> None:
    translated = base(2, title="Activateur tissulaire du plasminogene et DNase intrapleuraux")
    assert only_link(find_duplicates([base(1), translated])) == ("authors+year+volume+pages", "auto")


def test_companion_papers_sharing_a_boundary_page_are_not_merged() -> None:
    companion = base(2, title="Design and rationale of the pleural infection trials programme",
                     pages="526-530")
    assert find_duplicates([base(1), companion]).groups == ()


def test_distinct_studies_give_no_links() -> None:
    other = base(2, title="Bleomycin versus talc pleurodesis for malignant pleural effusion",
                 authors=["Smith, J."], year="1998", volume="12", pages="40-45")
    result = find_duplicates([base(1), other])
    assert result.links == () and result.groups == ()


def test_review_false_keeps_only_certain_links() -> None:
    records = [base(1), base(2, record_type="conference paper", pages=""), base(3, doi="10.9/x")]
    with_review = find_duplicates(records)
    certain = find_duplicates(records, review=False)
    assert {link.status for link in certain.links} == {"auto"}
    assert certain.groups == with_review.groups
    assert len(with_review.links) > len(certain.links)


def test_progress_reports_the_end_and_the_result_prints() -> None:
    calls: list[tuple[int, int]] = []
    result = find_duplicates([base(1), base(2), base(3, title="Other thing entirely, not a trial",
                                                                volume="2", pages="3-9")],
                             progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1][0] == calls[-1][1]
    text = str(result)
    assert "duplicates removed:     1" in text and "title+authors+year" in text
    payload = json.loads(json.dumps(result.to_dict()))
    assert payload["counts"]["records_after_dedup"] == 2
    assert payload["links"][0]["rule"] == "title+authors+year"


def test_window_must_be_positive() -> None:
    with pytest.raises(ValueError, match="window"):
        find_duplicates([base(1)], window=0)


def test_empty_and_single_inputs() -> None:
    assert find_duplicates([]).counts.records_identified == 0
    assert find_duplicates([base(1)]).links == ()


# ---------------------------------------------------------------- properties
_WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=9)
_RECORDS = st.lists(
    st.tuples(st.lists(_WORDS, min_size=3, max_size=8), st.integers(1990, 2000), st.booleans()),
    min_size=2, max_size=12,
)


def _records(spec: list[tuple[list[str], int, bool]]) -> list[Record]:
    out = []
    for k, (words, year, copy) in enumerate(spec):
        out.append(base(k + 1, title=" ".join(words), year=str(year), pages=None, volume=None,
                        authors=[f"{words[0].title()}, A."]))
        if copy:  # a planted duplicate, case and punctuation changed
            out.append(base(k + 1, title=" ".join(words).upper() + ".", year=str(year), pages=None,
                            volume=None, authors=[f"{words[0].title()}, A."]))
    return out


@settings(max_examples=40, deadline=None)
@given(_RECORDS, st.randoms())
def test_groups_do_not_depend_on_record_order(spec, rnd) -> None:  # type: ignore[no-untyped-def]
    records = _records(spec)
    order = list(range(len(records)))
    rnd.shuffle(order)
    shuffled = [records[i] for i in order]
    groups = {frozenset(g) for g in find_duplicates(records).groups}
    back = {frozenset(order[i] for i in g) for g in find_duplicates(shuffled).groups}
    assert groups == back


@settings(max_examples=40, deadline=None)
@given(_RECORDS)
def test_no_record_is_linked_to_itself_and_links_point_backwards(spec) -> None:  # type: ignore[no-untyped-def]
    records = _records(spec)
    for link in find_duplicates(records).links:
        assert link.duplicate_of < link.record < len(records)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyz ", min_size=30, max_size=60),
                min_size=2, max_size=10))
def test_records_sharing_no_key_give_no_links(titles: list[str]) -> None:
    keys = [title_key(t).replace(" ", "") for t in titles]
    heads = [k[:24] for k in keys] + [k[-24:] for k in keys]
    if len(set(heads)) < len(heads) or any(len(k) < 24 for k in keys):
        return  # titles sharing a blocking key are not this property's subject
    records = [rec(i + 1, title=t) for i, t in enumerate(titles)]
    result = find_duplicates(records)
    assert result.candidate_pairs == 0 and result.links == ()


@given(st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1,
               max_size=30))
def test_a_chinese_title_never_has_an_empty_key(title: str) -> None:
    assert title_key(f"【{title}】。") == title_key(title) != ""


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("journal clinical oncology", "j clin oncol", True),
        ("british medical journal", "bmj", True),
        ("annals internal medicine", "acp journal club", False),
        ("new england journal medicine", "n engl j med", True),
        ("lancet", "thorax", False),
        ("deutsche medizinische wochenschrift", "dtsch med wochenschr", True),  # ISO 4
        ("chest", "cancer", False),
        ("", "thorax", True),
    ],
)
def test_journal_abbreviations(a: str, b: str, same: bool) -> None:
    assert journals_compatible(a, b) is same


# The whole citation (journal, year, volume, the same range of two or more pages) identifies an
# article; the records below are modelled on missed pairs of the respiratory and cytology sets.
def citation(entry: int, **over: object) -> Record:
    fields: dict[str, object] = {
        "title": "Postoperative immunostimulation in non-small-cell bronchial carcinoma. "
                 "Outcome and complications",
        "authors": ["Toomes, H."], "year": "1984", "journal": "Deutsche Medizinische Wochenschrift",
        "volume": "109", "pages": "935-940",
    }
    fields.update(over)
    return rec(entry, **{k: v for k, v in fields.items() if v is not None})


def test_whole_citation_merges_a_record_without_authors() -> None:
    other = citation(2, title="Postoperative local immunostimulation in non-oatcell bronchial "
                              "carcinoma", authors=None, journal="Dtsch-Med-Wochenschr")
    assert only_link(find_duplicates([citation(1), other])) == (
        "journal+year+volume+page-range", "auto")


def test_whole_citation_with_a_clearly_different_title_waits_for_review() -> None:
    # a translated title, or two items of one volume on the same pages (issues 1 and 2 of a
    # journal paginated by issue, one author): the citation cannot tell them apart
    other = citation(2, title="Local immune stimulation after surgery of lung cancer: results",
                     authors=["Toomes H"])
    assert only_link(find_duplicates([citation(1), other])) == (
        "review:bibliographic", "needs_review")


@pytest.mark.parametrize(
    "over",
    [
        {"authors": ["Schmidt, K."]},  # another author
        {"pages": "940-945"},  # other pages
        {"volume": "110"},  # another volume
        {"journal": "Lancet"},  # another journal
    ],
)
def test_a_citation_that_differs_is_not_merged(over: dict[str, object]) -> None:
    other = citation(2, title="Local immune stimulation after surgery of lung cancer: results",
                     **over)
    assert find_duplicates([citation(1), other]).groups == ()


def test_a_single_page_is_not_a_whole_citation() -> None:
    a = citation(1, pages="S12", authors=None)
    b = citation(2, title="Local immune stimulation after surgery of lung cancer: results",
                 pages="S12")
    assert find_duplicates([a, b]).groups == ()


def test_a_typo_in_a_title_number_does_not_split_one_citation() -> None:
    authors = ["Guedes, A C", "Brenna, S M", "Coelho, S A", "Zeferino, L C"]
    a = citation(1, title="p16(INK4a) Expression does not predict the outcome of cervical "
                          "intraepithelial neoplasia grade 2", authors=authors,
                 journal="International Journal of Gynecological Cancer", year="2007",
                 volume="17", pages="1099-1103")
    b = citation(2, title="p6INK4a Expression does not predict the outcome of cervical "
                          "intraepithelial neoplasia grade 2", authors=authors,
                 journal="International Journal of Gynecological Cancer", year="2007",
                 volume="17", pages="1099-1103")
    assert only_link(find_duplicates([a, b])) == ("journal+year+volume+page-range", "auto")


def cochrane(entry: int, **over: object) -> Record:
    fields: dict[str, object] = {
        "title": "Treatment for POEMS (polyneuropathy, organomegaly, endocrinopathy, M-protein, "
                 "and skin changes) syndrome",
        "authors": ["Kuwabara, Satoshi", "Dispenzieri, Angela", "Arimura, Kimiyoshi"],
        "year": "2008", "journal": "Cochrane Database of Systematic Reviews", "pages": "CD006828",
    }
    fields.update(over)
    return rec(entry, **{k: v for k, v in fields.items() if v is not None})


def test_a_cochrane_review_and_its_update_merge_on_the_review_number() -> None:
    update = cochrane(2, year="2012", volume="6")
    assert only_link(find_duplicates([cochrane(1), update])) == ("cochrane-review-number", "auto")


def test_cochrane_reviews_with_other_numbers_are_not_merged() -> None:
    other = cochrane(2, year="2012", pages="CD012345")
    assert find_duplicates([cochrane(1), other]).groups == ()


# Issue 16: conflicting evidence vetoes a merge; certain evidence merges. The records are
# modelled on the errors of a held-out check (an information-systems and a haematology search).
COLUMN = "Remarks from MIS Quarterly Editor - Editor's Comments"


def test_different_issue_numbers_veto_a_recurring_column() -> None:
    # the same column, author, year and volume in issues 1-4; no pages
    issues = [rec(k, title=COLUMN, authors=["Weber, Ron"], year="2000", journal="MIS Quarterly",
                  volume="24", issue=str(k)) for k in (1, 2, 3, 4)]
    result = find_duplicates(issues)
    assert result.groups == ()
    assert all(link.status == "needs_review" and "issue" in link.rule for link in result.links)


def test_an_issue_field_that_differs_between_every_copy_is_not_an_issue() -> None:
    # EndNote exports its record number as "number": the copies of each article disagree on it
    records = []
    for k in range(6):
        article = {"title": f"{TRIAL} in cohort {'ABCDEF'[k]} of the study", "year": "2011",
                   "journal": "Thorax", "volume": str(60 + k), "pages": f"{100 + 10 * k}-{105 + 10 * k}"}
        records += [rec(2 * k, **article, issue=str(1000 + 2 * k)),
                    rec(2 * k + 1, **article, issue=str(1001 + 2 * k))]
    groups = find_duplicates(records).groups
    assert groups == tuple((2 * k, 2 * k + 1) for k in range(6))


def test_same_doi_with_a_truncated_title_merges() -> None:
    a = base(1, doi="10.1056/NEJMoa1012740", authors=["Rahman, Najib M."])
    b = base(2, doi="10.1056/NEJMoa1012740", authors=["Rahman NM"], pages=None,
             title="Intrapleural tissue plasminogen activator")
    assert only_link(find_duplicates([a, b])) == ("doi", "auto")


def test_a_page_range_ending_before_it_starts_is_a_typo() -> None:
    result = find_duplicates([base(1, pages="2297-2108"), base(2, pages="2097-2108")])
    assert only_link(result) == ("title+authors+year", "auto")
    # a range one character away that is not a typo is still a conflict
    result = find_duplicates([base(1, pages="2197-2208"), base(2, pages="2097-2108")])
    assert only_link(result)[1] == "needs_review"


def test_a_journal_section_letter_on_the_pages_agrees() -> None:
    a = base(1, journal="Nephron", pages="c37-c42", year=None,
             title="Atypical haemolytic uraemic syndrome after kidney transplantation: outcomes")
    b = base(2, journal="Nephron – Clinical Practice", pages="37–42", year=None,
             title="Atypical hemolytic uremic syndrome after kidney transplantation. Outcome")
    assert only_link(find_duplicates([a, b]))[1] == "auto"


def test_a_citation_pasted_after_the_title_is_not_part_of_it() -> None:
    title = "More on eculizumab for congenital atypical hemolytic-uremic syndrome"
    fields = {"authors": ["Gruppo, R. A.", "Rother, R. P."], "year": "2009",
              "journal": "N Engl J Med", "volume": "360", "issue": "20", "pages": "2142-2143"}
    a = rec(1, title=title, **fields)
    b = rec(2, title=f"{title}. N Engl J Med 2009;360(20):2142-3", **fields)
    assert only_link(find_duplicates([a, b]))[1] == "auto"


def test_two_records_of_one_erratum_merge_and_other_issues_do_not() -> None:
    fields = {"title": "Erratum", "year": "2009", "journal": "New England Journal of Medicine",
              "volume": "360", "issue": "23", "pages": "2487"}
    assert only_link(find_duplicates([rec(1, **fields), rec(2, **fields)])) == (
        "title+journal+pages", "auto")
    other = rec(2, **{**fields, "issue": "24"})
    assert find_duplicates([rec(1, **fields), other]).groups == ()


def test_two_records_of_one_erratum_with_other_titles_are_queued() -> None:
    fields = {"year": "2009", "journal": "N Engl J Med", "volume": "360", "issue": "23",
              "pages": "2487"}
    a = rec(1, title="Erratum", **fields)
    b = rec(2, title="Erratum: More on eculizumab for congenital atypical hemolytic-uremic "
                     "syndrome", **fields)
    assert only_link(find_duplicates([a, b])) == ("review:bibliographic", "needs_review")


def test_different_dois_keep_a_pair_out_of_the_queue_unless_all_else_agrees() -> None:
    # two DOIs, two works: a similar title by the same team in another volume is not queued
    a = base(1, doi="10.1056/NEJMoa1012740")
    b = base(2, doi="10.1056/NEJMoa1100001", title=TRIAL + " (MIST3)", volume="366",
             year="2012", pages="12-19")
    assert find_duplicates([a, b]).links == ()
    # the same citation under another DOI (one database's error) is queued, with the reason
    result = find_duplicates([a, base(2, doi="10.1056/NEJMoa1100001")])
    assert only_link(result) == ("review:conflict:doi", "needs_review")


def test_a_doi_with_a_suffix_is_not_a_conflict() -> None:
    a = base(1, doi="10.1002/14651858.CD006828")
    b = base(2, doi="10.1002/14651858.CD006828.pub2")
    assert only_link(find_duplicates([a, b]))[1] == "auto"


def test_each_conflict_lowers_a_queued_pair_in_the_queue() -> None:
    one = find_duplicates([base(1), base(2, pages="600-606")]).links
    two = find_duplicates([base(1, issue="1"), base(2, pages="600-606", issue="2")]).links
    assert [link.rule for link in one + two] == ["review:conflict:pages",
                                                 "review:conflict:pages+issue"]
    assert one[0].score > two[0].score


def test_clearly_different_titles_on_one_page_are_not_queued() -> None:
    # two items by one author on page 133 of one issue (an abstract and a letter)
    fields = {"authors": ["Resch, K"], "year": "2019", "journal": "Tierarztl Prax Ausg K",
              "volume": "47", "issue": "2"}
    a = rec(1, title="Categorization of the Cavalier King Charles Spaniel's skull shape",
            pages="133", **fields)
    b = rec(2, title="Do castrated overweight dogs die earlier?", pages="133-134", **fields)
    assert find_duplicates([a, b]).links == ()
