"""What a reader sees: findings written from the numbers, one module per figure, the compute
cost and the self-contained HTML report. Imports any stage below it, none imports it."""
