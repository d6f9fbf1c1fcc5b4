"""Pure metrics logic: indicator cells, roll-ups and membership by year."""
