"""PRISMA 2020 flow counts as the PRISMA2020 flow-diagram app's CSV template.

The layout (columns ``data,node,box,description,boxtext,tooltips,url,n`` and one row per
template item, in this order) is that of ``inst/shiny-examples/PRISMA_flowdiagram/www/PRISMA.csv``
in https://github.com/prisma-flowdiagram/PRISMA2020 (Haddaway NR, Page MJ, Pritchard CC,
McGuinness LA. PRISMA2020: an R package and Shiny app for producing PRISMA 2020-compliant flow
diagrams. Campbell Syst Rev 2022;18:e1230), so the file loads into that app and into
``PRISMA2020::PRISMA_data(read.csv(...))``. Per-database counts and exclusion reasons go in
``n`` as the template asks: ``Name, count; Name, count``. This review identifies records via
databases and registers only: the "previous studies" and "other methods" rows are 0.
"""

from __future__ import annotations

import csv
import io

from evisynth.review.screening import PrismaFlow

#: (data, node, box, description, boxtext, url) of each template row, in the template's order.
TEMPLATE: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("NA", "node4", "prevstud", "Grey title box; Previous studies", "Previous studies", "prevstud.html"),
    ("previous_studies", "node5", "box1", "Studies included in previous version of review",
     "Studies included in previous version of review", "previous_studies.html"),
    ("previous_reports", "NA", "box1", "Reports of studies included in previous version of review",
     "Reports of studies included in previous version of review", "previous_reports.html"),
    ("NA", "node6", "newstud", "Yellow title box; Identification of new studies via databases and registers",
     "Identification of new studies via databases and registers", "newstud.html"),
    ("database_results", "node7", "box2", "Records identified from: Databases", "Databases",
     "database_results.html"),
    ("database_specific_results", "NA", "box2", "Records identified from: specific databases",
     "Specific databases", "database_results.html"),
    ("register_results", "NA", "box2", "Records identified from: Registers", "Registers", "NA"),
    ("register_specific_results", "NA", "box2", "Records identified from: specific registers",
     "Specific registers", "database_results.html"),
    ("NA", "node16", "othstud", "Grey title box; Identification of new studies via other methods",
     "Identification of new studies via other methods", "othstud.html"),
    ("website_results", "node17", "box11", "Records identified from: Websites", "Websites",
     "website_results.html"),
    ("organisation_results", "", "box11", "Records identified from: Organisations", "Organisations", "NA"),
    ("citations_results", "NA", "box11", "Records identified from: Citation searching",
     "Citation searching", "NA"),
    ("duplicates", "node8", "box3", "Duplicate records", "Duplicate records", "duplicates.html"),
    ("excluded_automatic", "NA", "box3", "Records marked as ineligible by automation tools",
     "Records marked as ineligible by automation tools", "NA"),
    ("excluded_other", "NA", "box3", "Records removed for other reasons", "Records removed for other reasons",
     "NA"),
    ("records_screened", "node9", "box4", "Records screened (databases and registers)", "Records screened",
     "records_screened.html"),
    ("records_excluded", "node10", "box5", "Records excluded (databases and registers)", "Records excluded",
     "records_excluded.html"),
    ("dbr_sought_reports", "node11", "box6", "Reports sought for retrieval (databases and registers)",
     "Reports sought for retrieval", "dbr_sought_reports.html"),
    ("dbr_notretrieved_reports", "node12", "box7", "Reports not retrieved (databases and registers)",
     "Reports not retrieved", "dbr_notretrieved_reports.html"),
    ("other_sought_reports", "node18", "box12", "Reports sought for retrieval (other)",
     "Reports sought for retrieval", "other_sought_reports.html"),
    ("other_notretrieved_reports", "node19", "box13", "Reports not retrieved (other)",
     "Reports not retrieved", "other_notretrieved_reports.html"),
    ("dbr_assessed", "node13", "box8", "Reports assessed for eligibility (databases and registers)",
     "Reports assessed for eligibility", "dbr_assessed.html"),
    ("dbr_excluded", "node14", "box9", "Reports excluded (databases and registers): reasons and numbers "
     "separated by ;", "Reports excluded", "dbrexcludedrecords.html"),
    ("other_assessed", "node20", "box14", "Reports assessed for eligibility (other)",
     "Reports assessed for eligibility", "other_assessed.html"),
    ("other_excluded", "node21", "box15", "Reports excluded (other): reasons and numbers separated by ;",
     "Reports excluded", "other_excluded.html"),
    ("new_studies", "node15", "box10", "New studies included in review", "New studies included in review",
     "new_studies.html"),
    ("new_reports", "NA", "box10", "Reports of new included studies", "Reports of new included studies",
     "NA"),
    ("total_studies", "node22", "box16", "Total studies included in review",
     "Total studies included in review", "total_studies.html"),
    ("total_reports", "NA", "box16", "Reports of total included studies",
     "Reports of total included studies", "NA"),
    ("identification", "node1", "identification", "Blue identification box", "Identification",
     "identification.html"),
    ("screening", "node2", "screening", "Blue screening box", "Screening", "screening.html"),
    ("included", "node3", "included", "Blue included box", "Included", "included.html"),
)


def _name(text: str) -> str:
    # The app splits ``n`` at ";" and each item at ",": neither may occur inside a name.
    return " ".join(text.replace(";", " ").replace(",", " ").split()) or "unnamed"


def _pairs(counts: dict[str, int]) -> str:
    return "; ".join(f"{_name(name)}, {n}" for name, n in counts.items())


def prisma_values(flow: PrismaFlow) -> dict[str, str]:
    """The ``n`` of every data row, as text."""
    numbers = {
        "database_results": flow.database_results, "register_results": flow.register_results,
        "duplicates": flow.duplicates, "excluded_automatic": flow.excluded_automatic,
        "excluded_other": flow.excluded_other, "records_screened": flow.records_screened,
        "records_excluded": flow.records_excluded, "dbr_sought_reports": flow.sought_reports,
        "dbr_notretrieved_reports": flow.notretrieved_reports, "dbr_assessed": flow.assessed,
        "new_studies": flow.new_studies, "new_reports": flow.new_reports,
        "total_studies": flow.new_studies, "total_reports": flow.new_reports,
    }
    values = {row[0]: str(numbers.get(row[0], 0)) for row in TEMPLATE}
    values["database_specific_results"] = _pairs(flow.database_specific)
    values["register_specific_results"] = _pairs(flow.register_specific)
    values["dbr_excluded"] = _pairs(flow.exclusion_reasons)
    values["other_excluded"] = ""
    return values


def prisma_csv(flow: PrismaFlow) -> str:
    """The CSV text (UTF-8, ``\\n`` line ends) of ``flow`` in the template's layout."""
    values = prisma_values(flow)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("data", "node", "box", "description", "boxtext", "tooltips", "url", "n"))
    for data, node, box, description, boxtext, url in TEMPLATE:
        tooltip = description if node not in ("NA", "") else "NA"  # as the template does
        writer.writerow((data, node, box, description, boxtext, tooltip, url, values.get(data, "0")))
    return out.getvalue()
