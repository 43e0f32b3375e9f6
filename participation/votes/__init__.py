"""Owner votes (民法典 Art. 278): thresholds, registers, ballots (web, in person, paper), staff and resident pages."""
