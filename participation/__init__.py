"""民呼我应 core: roster, accounts, catalogue, locality rules, resident entry and audit."""
