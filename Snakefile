# lossbench: which loss function (and optimizer) should I train this classifier with?
# The default study: snakemake --cores 2. Another: snakemake --cores 2 --configfile config/mnist.yaml


from snakemake.utils import min_version

min_version("9.27")


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/aggregate.smk"
include: "workflow/rules/analysis.smk"
include: "workflow/rules/comparison.smk"


rule all:
    default_target: True
    input:
        final_targets,
