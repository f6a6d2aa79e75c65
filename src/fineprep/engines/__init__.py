"""Where stage work runs: in this process, in a pool of local processes, or on a Dask cluster.

The stages cut their inputs into partitions (byte ranges of a JSONL file on line boundaries),
hand a picklable function and the partitions to an engine, and merge the results in partition
order, so every engine gives the answer a single process gives. The engines know nothing of
the stages: they map a function over items and return the results in order.

May import: fineprep.core, fineprep.formats, fineprep.io.
"""
