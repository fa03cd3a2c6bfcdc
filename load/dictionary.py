"""The data dictionary: what every column of every table and view means, and its generator.

    python -m load.dictionary > docs/data-dictionary.md

The columns and their types come from the schema as the migrations build it (a throw-away
SQLite database is migrated and reflected), the words from the descriptions below and, for the
project fields, from the field registry (parsers/fields.py). A new table's entry is written
here by hand: a RelationDoc in RELATIONS. A column
without a description makes the generator fail, so the dictionary cannot silently fall behind
the schema; a test checks that the committed file is current.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from load import search
from load.migrate import upgrade
from load.schema import metadata, plain_type
from load.views import VIEWS
from parsers.fields import FIELDS, PERSONAL_DATA_FIELDS


@dataclass(frozen=True, slots=True)
class ColumnDoc:
    """`label` is the Swedish label (or layout feature) on esf.se the value comes from."""

    meaning: str
    label: str = ""
    example: str = ""


@dataclass(frozen=True, slots=True)
class RelationDoc:
    """A table's description and its columns' (a view's description is its View's, views.py)."""

    description: str = ""
    columns: Mapping[str, ColumnDoc] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str
    nullable: bool


@dataclass(frozen=True, slots=True)
class Relation:
    """A table or a view as the migrated database has it."""

    name: str
    kind: str  # "table" or "view"
    columns: Sequence[Column]


class DictionaryError(Exception):
    """Columns in the schema that the dictionary does not describe."""


# The record contract's project fields (DESIGN.md), shared by `projects` and the views: the
# field registry's words (parsers/fields.py), and the one record field that is no stated value.
PROJECT_FIELDS: Mapping[str, ColumnDoc] = {
    **{f.name: ColumnDoc(f.description, f.source, f.example) for f in FIELDS},
    "text_truncated": ColumnDoc(
        "The page says its text did not fit", "All text fick ej plats se akten.", "false"
    ),
}

# Bookkeeping columns that mean the same wherever they appear.
COMMON: Mapping[str, ColumnDoc] = {
    "id": ColumnDoc("Surrogate key of the row (stable within one database only)", "", "42"),
    "project_id": ColumnDoc("The project (projects.id)", "", "42"),
    "run_id": ColumnDoc("The crawl run (crawl_runs.id)", "", "7"),
    "source_url": ColumnDoc(
        "Address of the page the record was read from",
        "",
        "https://www.esf.se/resultat/projektbanken/projekt/?dnr=2019/00145",
    ),
    "content_hash": ColumnDoc(
        "SHA-256 of the normalised record: equal hashes mean no change", "", "3f2a…"
    ),
    "unknown_labels": ColumnDoc(
        "Labels on the page the parser's vocabulary does not know (JSON list), for audit",
        "",
        '["Ny etikett"]',
    ),
    "first_seen_at": ColumnDoc(
        "When a crawl first loaded the record (UTC)", "", "2026-11-23T02:00:00+00:00"
    ),
    "last_changed_at": ColumnDoc(
        "When the record last changed (UTC); `export --since` filters on it",
        "",
        "2026-11-23T02:00:00+00:00",
    ),
    "removed_at": ColumnDoc(
        "When the page was found gone from the site (404/410 or no longer listed); null while "
        "it is there. Rows are flagged, never deleted",
        "",
        "",
    ),
}

_CHILD = {
    "position": ColumnDoc("Order of the entry on the page, from 0", "", "0"),
}

_SOURCE_ROW = {
    "content_hash": ColumnDoc(
        "Hash of the row's values: an unchanged row is not rewritten", "", "9b1e…"
    ),
    "run_id": ColumnDoc("The import that last wrote the row (crawl_runs.id)", "", "7"),
    "first_seen_at": ColumnDoc(
        "When an import first listed it (UTC)", "", "2026-11-23T02:00:00+00:00"
    ),
    "last_changed_at": ColumnDoc(
        "When an import last changed it (UTC)", "", "2026-11-23T02:00:00+00:00"
    ),
    "dropped_at": ColumnDoc(
        "When the newest file of its source and programme period stopped listing it (UTC); null"
        " while listed. Rows are flagged, never deleted; the export's dropped numbers take their"
        " ?dnr= pages out at the next crawl",
        "",
        "",
    ),
    "dropped_run_id": ColumnDoc("The import that flagged it (crawl_runs.id)", "", "9"),
}
_LINK = {
    "project_key": ColumnDoc(
        "The project's natural key (projects.project_key)", "", "2021-2027 23-017-S01"
    ),
    "source": ColumnDoc("The other source: 'kohesio' or 'esf_export'", "", "kohesio"),
    "external_id": ColumnDoc(
        "The row of that source: Kohesio's Q-number, the export's project number", "", "Q7362540"
    ),
}
SOURCE_RELATIONS: Mapping[str, RelationDoc] = {
    "esf_export_projects": RelationDoc(
        "The project bank's own CSV export (`esfbank import esf-export`): one row per project"
        " number; its numbers are crawled as ?dnr= pages",
        {
            **_SOURCE_ROW,
            "project_number": ColumnDoc(
                "Project number; its shape gives the period",
                "Diarienummer / Operation ID",
                "23-017-S01",
            ),
            "programme_period": ColumnDoc("Programme period of the number", "", "2021-2027"),
            "title": ColumnDoc("Project name", "Namn på insatsen / Operation Name", "Jobbcoacher"),
            "owner": ColumnDoc(
                "Beneficiary as written", "Stödmottagare / Beneficiary", "Kalmar kommun"
            ),
            "owner_org_number": ColumnDoc(
                "Beneficiary's organisation number, NNNNNN-NNNN",
                "Projektägare organisationsnummer / Beneficiary ID",
                "212000-0019",
            ),
            "owner_city": ColumnDoc(
                "Beneficiary's town", "Projektägare ort / Beneficiary city", "Kalmar"
            ),
            "country": ColumnDoc("Beneficiary's country", "Stödmottagarens land", "Sverige"),
            "priority": ColumnDoc(
                "Programme area as written", "Programområde / Priority", "Programområde A"
            ),
            "specific_objective": ColumnDoc(
                "Specific objective as written", "Specifikt mål", "A1A"
            ),
            "intervention_field": ColumnDoc(
                "Intervention field as written", "Interventionsområde", "…"
            ),
            "total_budget_sek": ColumnDoc(
                "Total budget, whole kronor", "Total projektbudget / Total budget SEK", "4973906"
            ),
            "eu_cofinancing_rate_pct": ColumnDoc(
                "EU co-financing rate, percent", "Unionens medfinansieringsgrad", "90"
            ),
            "eu_contribution_sek": ColumnDoc(
                "EU contribution, whole kronor", "EU-stöd i SEK / EU contribution SEK", "4476515"
            ),
            "summary": ColumnDoc(
                "Summary, its HTML made text (a line per paragraph, `- ` per bullet)",
                "Sammanfattning / Summary",
                "Projektet ska …",
            ),
            "summary_en": ColumnDoc(
                "Summary in English, as text", "Sammanfattning engelsk", "The project …"
            ),
            "start_date": ColumnDoc(
                "First day of the project", "Startdatum / Start date", "2023-01-01"
            ),
            "end_date": ColumnDoc("Last day of the project", "Slutdatum / End date", "2025-12-31"),
            "fund": ColumnDoc("EU fund", "EU-fond / EU fund", "ESF+"),
            "programme_cci": ColumnDoc("CCI of the programme", "Program CCI", "2021SE05SFPR"),
        },
    ),
    "kohesio_operations": RelationDoc(
        "Kohesio's operations in Sweden (`esfbank import kohesio`), every fund, one row per"
        " operation (its first beneficiary's); only ESF and ESF+ ones are linked to projects",
        {
            **_SOURCE_ROW,
            "external_id": ColumnDoc(
                "Kohesio's Q-number (from Operation_Unique_Identifier)", "", "Q7362540"
            ),
            "programme_period": ColumnDoc("Programming period", "Programming_Period", "2021-2027"),
            "local_identifier": ColumnDoc(
                "The programme's own identifier, as given",
                "Operation_Local_Identifier",
                "2021SE05SFPR001_23-017-S01",
            ),
            "project_number": ColumnDoc(
                "The Swedish project number inside local_identifier; null when it holds none",
                "",
                "23-017-S01",
            ),
            "name": ColumnDoc(
                "Name in the programme's language",
                "Operation_Name_Programme_Language",
                "Jobbcoacher",
            ),
            "name_en": ColumnDoc("Name in English", "Operation_Name_English", "Job coaches"),
            "country_code": ColumnDoc("Country code (always SE here)", "CountryCode", "SE"),
            "fund_code": ColumnDoc("Fund", "Fund_Code", "ESF+"),
            "programme_code": ColumnDoc(
                "Programme CCI (longer than esf.se's)", "Programme_Code", "2021SE05SFPR001"
            ),
            "programme_name": ColumnDoc("Programme", "Programme_Name", "ESF+ Sverige"),
            "start_date": ColumnDoc("First day", "Operation_Start_Date", "2023-01-01"),
            "end_date": ColumnDoc("Last day", "Operation_End_Date", "2025-12-31"),
            "cofinancing_rate_pct": ColumnDoc(
                "Co-financing rate, percent", "Cofinancing_Rate", "40"
            ),
            "total_eligible_expenditure": ColumnDoc(
                "Total eligible expenditure, in `currency`, to the cent",
                "Total_Eligible_Expenditure_amount",
                "88000.50",
            ),
            "currency": ColumnDoc(
                "Currency of the amounts (often EUR: then not compared with the pages' kronor)",
                "Total_Eligible_Expenditure_Currency",
                "EUR",
            ),
            "eu_budget": ColumnDoc(
                "EU budget of the operation, in `currency`", "Project_EU_Budget", "35200.20"
            ),
            "beneficiary_id": ColumnDoc(
                "Kohesio's beneficiary identifier", "Beneficiary_Unique_Identifier", "Q9001"
            ),
            "beneficiary_name": ColumnDoc("Beneficiary", "Beneficiary_Name", "Kalmar kommun"),
            "beneficiary_org_number": ColumnDoc(
                "Beneficiary's organisation number, NNNNNN-NNNN",
                "Beneficiary_Local_Identifier",
                "212000-0019",
            ),
        },
    ),
    "project_links": RelationDoc(
        "Each current project's link to another source, at most one per source, and never two"
        " projects to one row: by project number, else by org number + folded title + start"
        " date. Rebuilt after every import and every run",
        {
            **_LINK,
            "matched_on": ColumnDoc(
                "What the link was made on: 'project_number' or 'org_number+title+start_date'",
                "",
                "project_number",
            ),
        },
    ),
    "v_project_links": RelationDoc(
        columns={
            **_LINK,
            "matched_on": ColumnDoc(
                "'project_number' or 'org_number+title+start_date'", "", "project_number"
            ),
        }
    ),
    "v_source_disagreements": RelationDoc(
        columns={
            **_LINK,
            "field": ColumnDoc(
                "The projects field compared (amounts only where the source's are in SEK)",
                "",
                "start_date",
            ),
            "page_value": ColumnDoc("The page's value, as text", "", "2023-01-01"),
            "source_value": ColumnDoc("The source's value, as text", "", "2023-02-01"),
        }
    ),
}
_SEARCH_DOCUMENT = ColumnDoc(
    "The page's words without stop words, stemmed by the Snowball Swedish algorithm: stems "
    "separated by spaces on SQLite, a tsvector (swedish configuration; title weight A, the "
    "rest B) on PostgreSQL. Query it with `esfbank search`, which stems the query alike",
    "title, Projektägare, free-text sections; news title and text",
    "kvinn utrik född arbetslös",
)

RELATIONS: Mapping[str, RelationDoc] = {
    "regions": RelationDoc(
        "Reference table: the ESF regions with their NUTS-2 codes (data/regions.csv)",
        {
            "name": ColumnDoc("Canonical region name", "Region", "Sydsverige"),
            "nuts2": ColumnDoc("NUTS-2 code; null for Nationellt", "NUTS-2 kod", "SE22"),
        },
    ),
    "municipalities": RelationDoc(
        "Reference table: Sweden's 290 municipalities with SCB codes (data/kommuner.csv)",
        {
            "kommunkod": ColumnDoc("SCB municipality code", "", "0114"),
            "name": ColumnDoc("Municipality name", "Kommun", "Upplands Väsby"),
            "lan_code": ColumnDoc("SCB county (län) code", "", "01"),
            "lan_name": ColumnDoc("County name", "", "Stockholms län"),
            "nuts2": ColumnDoc("NUTS-2 code of the county's region", "", "SE11"),
        },
    ),
    "organisations": RelationDoc(
        "Project owners known by organisation number",
        {
            "org_number": ColumnDoc(
                "Swedish organisation number, NNNNNN-NNNN",
                "Projektägare organisationsnummer",
                "802518-5011",
            ),
            "name": ColumnDoc(
                "The owner's name as first written on a page", "Projektägare", "Kommunförbundet"
            ),
        },
    ),
    "crawl_runs": RelationDoc(
        "One row per crawl, backfill, load or reparse run, with what it did",
        {
            "kind": ColumnDoc("What ran: crawl, backfill, load, reparse", "", "crawl"),
            "status": ColumnDoc(
                "running, ok, failed or interrupted (also a run killed mid-way: the next run "
                "closes it after an hour without progress, ESFBANK_STALE_RUN_MINUTES)",
                "",
                "ok",
            ),
            "started_at": ColumnDoc("When the run started (UTC)", "", "2026-11-23T02:00:00+00:00"),
            "finished_at": ColumnDoc(
                "When it finished (UTC); null while running; a killed run's last progress", "", ""
            ),
            "last_progress_at": ColumnDoc(
                "When the run last wrote a batch (UTC)", "", "2026-11-23T02:14:05+00:00"
            ),
            "fetched": ColumnDoc("Pages fetched", "", "1200"),
            "new": ColumnDoc("Records loaded for the first time", "", "3"),
            "changed": ColumnDoc("Records whose content changed", "", "5"),
            "unchanged": ColumnDoc("Records seen again unchanged (nothing written)", "", "1192"),
            "removed": ColumnDoc("Pages found gone from the site", "", "0"),
            "failed": ColumnDoc("Pages that failed to fetch or parse", "", "0"),
            "removals_withheld": ColumnDoc(
                "Pages the run would have flagged removed but did not: the mass-removal guard"
                " refused (more than --max-removed-share of the live pages, or of one programme"
                " period's or the news pages); 0 when it flagged what it found",
                "",
                "0",
            ),
            "removal_refusal": ColumnDoc(
                "Why the guard refused the run's removals (counts and shares); null when it"
                " did not",
                "",
                "1450 pages would be flagged removed: 1450 (61.2%) of the 2370 live pages; …",
            ),
        },
    ),
    "projects": RelationDoc(
        "One row per project, the record contract's fields as typed columns",
        {
            "project_key": ColumnDoc(
                "Natural key: '<period> <number>', or 'url:<normalised URL>' for pages without "
                "a number (2007–2013)",
                "",
                "2014-2020 2019/00145",
            ),
            "sections": ColumnDoc(
                "Free-text sections as a JSON object {heading: text}",
                "Sammanfattning, Bakgrund, Syfte, Målsättning, …",
                '{"Syfte": "…"}',
            ),
        },
    ),
    "project_versions": RelationDoc(
        "Append-only history: one row per new or changed version of a project",
        {
            "seen_at": ColumnDoc(
                "When the run saw this version (UTC)", "", "2026-11-23T02:00:00+00:00"
            ),
            "change": ColumnDoc("'new' or 'changed'", "", "changed"),
            "record": ColumnDoc("The whole normalised record of this version (JSON)", "", "{…}"),
            "changed": ColumnDoc(
                "The fields that changed against the previous version: {field: {old, new}}",
                "",
                '{"end_date": {"old": "2022-12-31", "new": "2023-02-28"}}',
            ),
        },
    ),
    "project_municipalities": RelationDoc(
        "The municipalities a project lists, in page order",
        {
            **_CHILD,
            "name": ColumnDoc("Municipality as written", "Kommun", "Kalmar"),
            "kommunkod": ColumnDoc(
                "SCB code when the name is a municipality's, else null", "", "0880"
            ),
        },
    ),
    "project_partners": RelationDoc(
        "The partners a project lists, in page order",
        {
            **_CHILD,
            "name": ColumnDoc("Partner as written", "Samarbetspartners", "Region Kalmar län"),
        },
    ),
    "project_cofinanciers": RelationDoc(
        "The co-financiers a project lists, in page order",
        {
            **_CHILD,
            "name": ColumnDoc("Co-financier as written", "Medfinansiärer", "Arbetsförmedlingen"),
        },
    ),
    "news_articles": RelationDoc(
        "One row per news article or press release",
        {
            "article_key": ColumnDoc(
                "Natural key: the normalised URL", "", "nyheter/valbesokt-inspirationstraff/"
            ),
            "title": ColumnDoc("Headline", "page heading", "Välbesökt inspirationsträff"),
            "published_date": ColumnDoc(
                "Publication date; null when the page gives only month and year",
                "date line (21 januari 2020)",
                "2020-01-21",
            ),
            "body": ColumnDoc("Article text", "", "…"),
        },
    ),
    "search_projects": RelationDoc(
        "Full-text search index of projects (`esfbank search`): title, owner and free-text "
        "sections as Swedish stems; an FTS5 table on SQLite (rowid = project_id), a tsvector "
        "with a GIN index on PostgreSQL. Kept current by every load",
        {
            "project_id": ColumnDoc("The project (projects.id)", "", "12"),
            "document": _SEARCH_DOCUMENT,
        },
    ),
    "search_news": RelationDoc(
        "Full-text search index of news articles (`esfbank search`): title and body as Swedish "
        "stems, kept like search_projects",
        {
            "news_id": ColumnDoc("The article (news_articles.id)", "", "3"),
            "document": _SEARCH_DOCUMENT,
        },
    ),
    "news_project_links": RelationDoc(
        "Project numbers a news article mentions",
        {
            "news_id": ColumnDoc("The article (news_articles.id)", "", "3"),
            "project_number": ColumnDoc(
                "Project number as mentioned; join projects.project_number",
                "article text",
                "2019/00145",
            ),
        },
    ),
    "url_state": RelationDoc(
        "One row per URL ever fetched: what the last fetch left, for incremental crawls",
        {
            "url": ColumnDoc("The page address", "", "https://www.esf.se/nyheter/…/"),
            "kind": ColumnDoc(
                "Record kind last parsed from it: project, news, call, listing, other",
                "",
                "project",
            ),
            "last_fetched_at": ColumnDoc(
                "When it was last fetched (UTC)", "", "2026-11-23T02:00:00+00:00"
            ),
            "last_seen_at": ColumnDoc(
                "When a run last saw it, fetched or listed unchanged (UTC)",
                "",
                "2026-11-23T02:00:00+00:00",
            ),
            "http_status": ColumnDoc(
                "HTTP status of the last fetch; of a URL that redirects, its first redirect's"
                " (301, 302, 307, 308), or 200 for a page that redirects by meta refresh",
                "",
                "200",
            ),
            "etag": ColumnDoc("ETag of the last answer, for conditional requests", "", '"abc"'),
            "last_modified": ColumnDoc(
                "Last-Modified of the last answer", "", "Mon, 23 Nov 2026 02:00:00 GMT"
            ),
            "sitemap_lastmod": ColumnDoc("The sitemap's lastmod, as given", "", "2026-11-20"),
            "archive_key": ColumnDoc("Where the raw answer is in the archive", "", "ab/cd…"),
            "removed": ColumnDoc(
                "The page is gone from the site: it answered 404/410, or a complete run's"
                " discovery no longer listed it (never a `?dnr=` project page, never a page"
                " from the Internet Archive)",
                "",
                "false",
            ),
            "news_id": ColumnDoc("The news article it carries (news_articles.id)", "", "3"),
            "redirected_to": ColumnDoc(
                "Where its last fetch ended after redirects (the page then carries no record"
                " itself: the target's row does); null when it answered itself. A nightly crawl"
                " skips it while its sitemap lastmod is unchanged, else asks with the target's"
                " ETag / Last-Modified",
                "",
                "https://www.esf.se/resultat/projektbanken/projekt/?dnr=2019/00145",
            ),
            "capture_url": ColumnDoc(
                "The Internet Archive capture a legacy page was loaded from (backfill"
                " --wayback); its url is then the original esf.se address. Such a page is"
                " history: never flagged removed, never asked of the site or the archive again."
                " Null for pages fetched from the site",
                "",
                "https://web.archive.org/web/20120304050607id_/http://www.esf.se/sv/Resultat/…",
            ),
            "captured_at": ColumnDoc(
                "When the archive captured that page (UTC, from the capture's timestamp)",
                "",
                "2012-03-04T05:06:07+00:00",
            ),
        },
    ),
    "parse_errors": RelationDoc(
        "Quarantine: values that did not parse and pages that failed, each problem once;"
        " a problem is resolved when its page or file next loads without it (and open again"
        " if it comes back), and the report counts only the open ones",
        {
            "fingerprint": ColumnDoc("Hash of source, field, value and message", "", "9b1e…"),
            "source_path": ColumnDoc("The file, for pages loaded from disk", "", "pages/x.txt"),
            "archive_key": ColumnDoc("Where the raw page is in the archive", "", "ab/cd…"),
            "field": ColumnDoc(
                "The field that could not be parsed; null when the whole page failed",
                "",
                "start_date",
            ),
            "label": ColumnDoc("The label on the page", "", "Projektperiod"),
            "value": ColumnDoc("The value as written", "", "2019-13-01"),
            "message": ColumnDoc("What was wrong", "", "month 13 does not exist"),
            "created_at": ColumnDoc("When it was recorded (UTC)", "", "2026-11-23T02:00:00+00:00"),
            "run_id": ColumnDoc("The crawl run that first recorded it (crawl_runs.id)", "", "7"),
            "resolved_at": ColumnDoc(
                "When its page or file next loaded without this problem (UTC); null while open",
                "",
                "2026-11-24T02:00:00+00:00",
            ),
            "resolved_run_id": ColumnDoc(
                "The crawl run that resolved it (crawl_runs.id); null while open", "", "8"
            ),
        },
    ),
    "v_projects": RelationDoc(
        columns={
            "removed": ColumnDoc("The project's page is gone from the site", "", "false"),
            "kohesio_id": ColumnDoc(
                "The Kohesio operation (Q-number) the project is linked to (project_links)",
                "",
                "Q7362540",
            ),
            "nuts2": ColumnDoc(
                "NUTS-2 code as stated, else the region's; null for national projects",
                "NUTS-2 kod, Region",
                "SE21",
            ),
        },
    ),
    "v_project_history": RelationDoc(
        columns={
            "version_id": ColumnDoc("The version (project_versions.id)", "", "12"),
            "field": ColumnDoc("Contract field that changed", "", "end_date"),
            "old_value": ColumnDoc(
                "Value before, as text (lists and sections as JSON); null when not stated",
                "",
                "2022-12-31",
            ),
            "new_value": ColumnDoc("Value after, as text", "", "2023-02-28"),
            "run_kind": ColumnDoc("Kind of run that saw the change", "", "crawl"),
            "changed_at": ColumnDoc(
                "When the run saw the change (UTC)", "", "2026-11-23T02:00:00+00:00"
            ),
        },
    ),
    "v_news": RelationDoc(
        columns={
            "news_id": ColumnDoc("The article (news_articles.id)", "", "3"),
            "title": ColumnDoc("Headline", "page heading", "Välbesökt inspirationsträff"),
            "published_date": ColumnDoc(
                "Publication date; null when only month and year are given", "", "2020-01-21"
            ),
            "body": ColumnDoc("Article text", "", "…"),
            "project_number": ColumnDoc(
                "A project number the article mentions", "article text", "2019/00145"
            ),
            "project_id": ColumnDoc("That project, when the database has it", "", "42"),
            "programme_period": ColumnDoc("That project's programme period", "", "2014-2020"),
            "project_title": ColumnDoc(
                "That project's title", "", "Samverkansplattform Kalmar län"
            ),
            "last_changed_at": COMMON["last_changed_at"],
            "removed_at": COMMON["removed_at"],
        },
    ),
    "v_summary_period": RelationDoc(),
    "v_summary_period_region": RelationDoc(),
    **SOURCE_RELATIONS,
}

_SUMMARY = {
    "projects": ColumnDoc("Number of current projects", "", "412"),
    "granted_esf_sek": ColumnDoc(
        "Sum of ESF grants, whole kronor", "Beviljat ESF-stöd", "1234567890"
    ),
    "total_budget_sek": ColumnDoc(
        "Sum of total budgets, whole kronor", "Total projektbudget", "2345678901"
    ),
    "first_start_date": ColumnDoc("Earliest project start", "", "2008-01-01"),
    "last_end_date": ColumnDoc("Latest project end", "", "2015-06-30"),
}
# Where a relation's columns may also be described: its own entries first, then these.
_INHERITS: Mapping[str, tuple[Mapping[str, ColumnDoc], ...]] = {
    "projects": (PROJECT_FIELDS,),
    "v_projects": (PROJECT_FIELDS,),
    "v_project_history": (PROJECT_FIELDS,),
    "v_project_links": (PROJECT_FIELDS,),
    "v_source_disagreements": (PROJECT_FIELDS,),
    "v_summary_period": (_SUMMARY, PROJECT_FIELDS),
    "v_summary_period_region": (_SUMMARY, PROJECT_FIELDS),
}


def relation_description(name: str) -> str:
    """What a table or view holds: views describe themselves in load/views.py."""
    if name in VIEWS:
        return VIEWS[name].description
    return RELATIONS[name].description if name in RELATIONS else ""


def column_doc(relation: str, column: str) -> ColumnDoc | None:
    """The description of `relation.column`, or None when nobody wrote one (or it is empty)."""
    own = RELATIONS[relation].columns if relation in RELATIONS else {}
    for source in (own, *_INHERITS.get(relation, ()), COMMON):
        doc = source.get(column)
        if doc is not None:
            return doc if doc.meaning.strip() else None
    return None


_TYPE_NAMES: tuple[tuple[type[sa.types.TypeEngine[Any]], str], ...] = (
    (sa.Boolean, "boolean"),
    (sa.BigInteger, "bigint"),
    (sa.Integer, "integer"),
    (sa.DateTime, "timestamp"),
    (sa.Date, "date"),
    (sa.Float, "float"),
    (sa.Numeric, "numeric"),
    (sa.JSON, "json"),
    (sa.String, "text"),
)


def type_name(column_type: sa.types.TypeEngine[Any]) -> str:
    """A short, backend-neutral name of a column type (text carries its length, if any)."""
    column_type = plain_type(column_type)
    for cls, name in _TYPE_NAMES:
        if isinstance(column_type, cls):
            length = getattr(column_type, "length", None)
            return f"{name}({length})" if name == "text" and length else name
    return str(column_type).lower()


def _typed_columns() -> dict[str, dict[str, sa.types.TypeEngine[Any]]]:
    """Declared column types of every table (schema metadata) and view (its typed select)."""
    tables = [*metadata.tables.values(), *(v.table() for v in VIEWS.values())]
    declared = {t.name: {c.name: c.type for c in t.columns} for t in tables}
    for table, id_column, _ in search.INDEXES.values():  # not in metadata: backend-specific
        declared[table] = {id_column: sa.Integer(), "document": sa.Text()}
    return declared


# Alembic's bookkeeping, and the tables FTS5 keeps each search index in.
_NOT_RELATIONS = frozenset({"alembic_version", *search.SHADOW_TABLES})


def reflect(engine: sa.Engine) -> list[Relation]:
    """Every table and view of a migrated database, columns in database order.

    Names and order come from the database (what the migrations built); types from the schema
    and the views' selects, which SQLite's reflection cannot give for computed view columns.
    """
    inspector = sa.inspect(engine)
    declared = _typed_columns()
    relations = []
    for kind, names in (
        ("table", inspector.get_table_names()),
        ("view", inspector.get_view_names()),
    ):
        for name in sorted(n for n in names if n not in _NOT_RELATIONS):
            known = declared.get(name, {})
            columns = [
                Column(c["name"], type_name(known.get(c["name"], c["type"])), c["nullable"])
                for c in inspector.get_columns(name)
            ]
            relations.append(Relation(name, kind, columns))
    return relations


def undescribed(relations: Sequence[Relation]) -> list[str]:
    """`relation.column` for every column without a non-empty description, and bare relations."""
    missing = [r.name for r in relations if not relation_description(r.name)]
    missing += [
        f"{r.name}.{c.name}"
        for r in relations
        for c in r.columns
        if column_doc(r.name, c.name) is None
    ]
    return missing


def _cell(text: str) -> str:
    """A table cell: pipes escaped; outside code spans `<…>` too, or Markdown hides it as HTML."""
    text = text.replace("|", "\\|").replace("\n", " ")
    if text.startswith("`"):
        return text
    return text.replace("<", "&lt;").replace(">", "&gt;")


def render(relations: Sequence[Relation]) -> str:
    """The Markdown data dictionary; DictionaryError names every undescribed column."""
    missing = undescribed(relations)
    if missing:
        raise DictionaryError("no description for: " + ", ".join(missing))
    lines = [
        "# Data dictionary",
        "",
        "Generated from the migrated schema by `python -m load.dictionary > "
        "docs/data-dictionary.md`; do not edit by hand (a test checks it is current).",
        "",
        "Types are backend-neutral: `text(n)` is VARCHAR(n), `timestamp` is with time zone (UTC),",
        "`json` is JSON on SQLite and JSONB on PostgreSQL, money is `bigint` whole kronor.",
        "Columns marked *personal data* are left out by `esfbank export --no-personal-data`.",
        "Columns naming another table's row (`project_id`, `run_id`, `news_id`, `region`, …)",
        "are foreign keys on SQLite; on PostgreSQL the loaded tables' ones are enforced by",
        "statement-level triggers instead, with the same refusals (docs/postgresql.md).",
        "",
        "Contents: " + ", ".join(f"[{r.name}](#{r.name})" for r in relations),
    ]
    for kind, title in (("table", "Tables"), ("view", "Views")):
        lines += ["", f"## {title}"]
        for relation in (r for r in relations if r.kind == kind):
            lines += [
                "",
                f"### {relation.name}",
                "",
                relation_description(relation.name) + ".",
                "",
                "| column | type | null | meaning | Swedish label on esf.se | example |",
                "|---|---|---|---|---|---|",
            ]
            for c in relation.columns:
                doc = column_doc(relation.name, c.name)
                assert doc is not None  # undescribed() above
                meaning = doc.meaning + (
                    " (*personal data*)" if c.name in PERSONAL_DATA_FIELDS else ""
                )
                cells = (
                    f"`{c.name}`",
                    c.type,
                    "yes" if c.nullable else "no",
                    meaning,
                    doc.label,
                    f"`{doc.example}`" if doc.example else "",
                )
                lines.append("| " + " | ".join(_cell(x) for x in cells) + " |")
    return "\n".join(lines) + "\n"


def generate() -> str:
    """Migrate a throw-away in-memory SQLite database and render its dictionary."""
    engine = sa.create_engine("sqlite://")
    try:
        upgrade(engine)
        return render(reflect(engine))
    finally:
        engine.dispose()


def main() -> int:
    try:
        sys.stdout.write(generate())
    except DictionaryError as exc:
        print(f"load.dictionary: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
