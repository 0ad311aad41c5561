"""Deduplication wired to the project: links stored by record id, the review queue, decisions,
PRISMA counts from links, and ``evisynth dedup``."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner, Result

from evisynth.cli.main import app
from evisynth.review.records import Record
from evisynth.services import dedup as services
from evisynth.storage import StorageError, open_project
from evisynth.storage import records as store

TITLE = ("Effect of vitamin K2 on progression of atherosclerosis and vascular calcification in "
         "nondialyzed patients with chronic kidney disease stages 3-5")
PUBMED = [
    Record("pubmed.nbib", 1, "medline", "PMID- 26176405", database="PubMed", title=TITLE,
           authors=("Kurnatowska, I.", "Grzelak, P."), year=2015, journal="Pol Arch Med Wewn",
           volume="125", issue="9", pages="631-640", doi="10.20452/pamw.3041", pmid="26176405"),
    Record("pubmed.nbib", 2, "medline", "PMID- 99000002", database="PubMed",
           title="Menaquinone-7 supplementation and arterial calcification in haemodialysis patients",
           authors=("Oikonomaki, T.",), year=2019, journal="Nephron", volume="1", pages="1-10"),
]
EMBASE = [
    Record("embase.ris", 1, "ris", "TY  - JOUR", database="Embase", title=TITLE + ".",
           authors=("Kurnatowska, Ilona", "Grzelak, Piotr"), year=2015,
           journal="Polskie Archiwum Medycyny Wewnetrznej", volume="125", issue="9", pages="631-640",
           doi="10.20452/pamw.3041"),
    Record("embase.ris", 2, "ris", "TY  - JOUR", database="Embase",
           title="Menaquinone 7 supplementation and arterial calcification in hemodialysis patients: a pilot",
           authors=("Oikonomaki, Theodora",), year=2019, journal="Nephron Clin Pract", volume="2",
           pages="11-20"),
    Record("embase.ris", 3, "ris", "TY  - JOUR", database="Embase",
           title="Vitamin K status after kidney transplantation", authors=("Mansour, A. G.",), year=2017),
]


def project_with_records(tmp_path: Path) -> Path:
    path = tmp_path / "p.evisynth"
    with open_project(path, create=True) as p:
        store.add_records(p, PUBMED, "importer")
        store.add_records(p, EMBASE, "importer")
    return path


def test_dedup_stores_links_by_record_id_and_rerunning_adds_nothing(tmp_path: Path) -> None:
    path = project_with_records(tmp_path)
    run = services.deduplicate(path)
    assert (run.records, run.links_found, run.links_added) == (5, 2, 2)
    with open_project(path) as p:
        links = {(s.link.record, s.link.duplicate_of): s.link for s in store.list_links(p)}
    # record ids: PubMed 1, 2; Embase 3, 4, 5. Same DOI: Embase #3 duplicates PubMed #1.
    assert links[(3, 1)].status == "auto" and links[(3, 1)].rule == "doi"
    assert links[(4, 2)].status == "needs_review"
    # Hand count: 5 records, group {1, 3} keeps one → 1 removed, 4 screened, 1 awaiting review.
    assert run.counts.to_dict() == {"identified": 5, "by_source": {"Embase": 3, "PubMed": 2},
                                    "duplicates_removed": 1, "screened": 4, "awaiting_review": 1,
                                    "rejected": 0}
    again = services.deduplicate(path)
    assert (again.links_found, again.links_added) == (2, 0)


def test_review_queue_and_a_decision_change_the_prisma_counts(tmp_path: Path) -> None:
    path = project_with_records(tmp_path)
    services.deduplicate(path)
    (item,) = services.review_queue(path)
    assert (item.record.id, item.duplicate_of.id) == (4, 2)
    assert item.to_dict()["duplicate_of_record"]["database"] == "PubMed"
    services.decide(path, [(item.link.id, "accepted")], actor="reviewer-a")
    counts = services.prisma_counts(path)
    assert (counts.duplicates_removed, counts.screened, counts.awaiting_review) == (2, 3, 0)
    assert services.review_queue(path) == ()
    # A second run keeps the reviewer's decision.
    services.deduplicate(path)
    assert services.prisma_counts(path).duplicates_removed == 2


def run_cli(*args: str) -> Result:
    """In-process (a subprocess costs seconds of imports); errors stay exceptions here."""
    return CliRunner().invoke(app, list(args))


def test_cli_dedup_review_and_decide(tmp_path: Path) -> None:
    path = project_with_records(tmp_path)
    proc = run_cli("dedup", str(path), "--json")
    assert proc.exit_code == 0, proc.output
    assert json.loads(proc.stdout)["prisma"]["duplicates_removed"] == 1
    queue = json.loads(run_cli("dedup", str(path), "--review", "--json").stdout)["review"]
    assert [q["record"]["id"] for q in queue] == [4]
    proc = run_cli("dedup", str(path), "--reject", str(queue[0]["id"]), "--actor", "reviewer-b", "--json")
    assert proc.exit_code == 0, proc.output
    out = json.loads(proc.stdout)
    assert out["decided"][0]["status"] == "rejected" and out["decided"][0]["decided_by"] == "reviewer-b"
    assert out["prisma"]["rejected"] == 1 and out["prisma"]["duplicates_removed"] == 1
    human = run_cli("dedup", str(path), "--review")
    assert human.exit_code == 0 and "0 links awaiting review" in human.stdout
    assert "duplicates removed" in human.stdout
    missing = run_cli("dedup", str(path), "--accept", "99")
    assert isinstance(missing.exception, StorageError) and "no duplicate link 99" in str(missing.exception)
