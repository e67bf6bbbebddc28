"""`private-packages`: `run` any packaging tool with the credentials it will need, and the
same verbs as `pip-private` (DESIGN.md "private-packages run").

`cli.main` is the console script. `run` reads the rules once, works out which tool the
command is (`tools.identify`), and hands each credential over in the form that tool reads
(`uv`, `poetry`, `publish`, `underneath` plan the variables; `plan.Plan` collects them);
`command.run_command` then runs the command through pip-private's masker.
"""
