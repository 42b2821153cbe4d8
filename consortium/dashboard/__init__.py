"""Each role's landing page after sign-in: what waits for this organisation, with links.

Modules: `services` (what each role's dashboard lists, and the manager's acceptance reminder),
`views` (the page, which follows the organisation switcher, and the reminder button).
"""
