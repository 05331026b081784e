"""What to recommend: features, candidate retrieval, the online ranker. Pure, no I/O."""
