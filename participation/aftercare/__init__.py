"""After-care (建后管理): the long-term management arrangement and its owner vote."""
