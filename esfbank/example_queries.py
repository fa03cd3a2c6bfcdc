"""The README's example queries, offered as canned queries by `esfbank serve`.

The SQL is the README's, statement for statement (tests/test_serve.py holds them equal), so
what a reader copies from the README and what Datasette offers are the same queries.
"""

from __future__ import annotations

# name → (title, SQL)
EXAMPLE_QUERIES: dict[str, tuple[str, str]] = {
    "support_per_region_and_period": (
        "Total ESF support per region and programme period",
        """\
SELECT p.programme_period, p.region, r.nuts2,
       COUNT(*) AS projects, SUM(p.granted_esf_sek) AS granted_esf_sek
FROM projects p LEFT JOIN regions r ON r.name = p.region
WHERE p.removed_at IS NULL
GROUP BY p.programme_period, p.region, r.nuts2
ORDER BY p.programme_period, p.region
""",
    ),
    "projects_per_owner": (
        "Projects per owner organisation",
        """\
SELECT p.owner_org_number, p.owner, COUNT(*) AS projects,
       SUM(p.granted_esf_sek) AS granted_esf_sek
FROM projects p
WHERE p.removed_at IS NULL
GROUP BY p.owner_org_number, p.owner
ORDER BY projects DESC, p.owner
""",
    ),
    "projects_active_on_a_date": (
        "Projects active on 1 June 2020",
        """\
SELECT p.programme_period, p.project_number, p.title, p.owner, p.start_date, p.end_date
FROM projects p
WHERE p.start_date <= '2020-06-01' AND p.end_date >= '2020-06-01' AND p.removed_at IS NULL
ORDER BY p.start_date, p.title
""",
    ),
    "support_per_period": (
        "Projects and granted support per programme period",
        """\
SELECT programme_period, projects, granted_esf_sek FROM v_summary_period
""",
    ),
    "largest_grants_2014_2020": (
        "The five largest grants of 2014–2020",
        """\
SELECT project_number, title, owner, granted_esf_sek
FROM v_projects
WHERE programme_period = '2014-2020' AND NOT removed
ORDER BY granted_esf_sek DESC
LIMIT 5
""",
    ),
    "owners_with_most_projects": (
        "Owner organisations with the most projects",
        """\
SELECT owner_org_number, MIN(owner) AS owner, COUNT(*) AS projects
FROM v_projects
WHERE owner_org_number IS NOT NULL
GROUP BY owner_org_number
ORDER BY projects DESC, owner_org_number
LIMIT 5
""",
    ),
    "page_beside_kohesio": (
        "A project's page figures beside Kohesio's",
        """SELECT p.project_number, p.title, p.start_date, p.end_date, p.eu_cofinancing_rate_pct,
       p.total_budget_sek, k.external_id, k.name, k.start_date AS kohesio_start,
       k.end_date AS kohesio_end, k.cofinancing_rate_pct AS kohesio_rate,
       k.total_eligible_expenditure, k.currency
FROM v_projects p
JOIN kohesio_operations k ON k.external_id = p.kohesio_id
ORDER BY p.project_number
""",
    ),
    "source_disagreements": (
        "Where the pages and the other sources disagree",
        """SELECT project_number, source, field, page_value, source_value
FROM v_source_disagreements
ORDER BY project_number, source, field
""",
    ),
}
