"""DfE statistics as published: reading the tables, and the one mapping between the model's settings and
flows and the DfE's own placement groups and flow definitions (so a run can be laid beside the tables)."""
