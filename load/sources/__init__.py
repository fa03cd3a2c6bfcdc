"""Other sources of the same projects: the project bank's CSV export and Kohesio (the EU's
database of cohesion-policy operations). Imported into their own tables, linked to the pages'
projects, cross-checked against them, and (the export) used to discover project pages."""
