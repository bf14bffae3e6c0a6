"""Choose each loss's learning rate on the validation split (see lossbench.analysis.selection)."""

from lossbench.analysis import checked, selection
from lossbench.plumbing.atomic import write_csv
from lossbench.plumbing.snakejob import job

with job(snakemake):
    inputs = snakemake.input
    tables = checked.read_tables(
        {"runs": inputs.runs, "history": inputs.history},
        checked.Study.of(**snakemake.params.study),
    )
    validation = selection.last_validation(tables["history"])
    write_csv(snakemake.output[0], selection.selected_lrs(validation, tables["runs"]))
