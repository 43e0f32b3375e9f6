"""Communities and their household register: import, export, codes and printed slips."""
