"""Pure registry logic: what a fact does to the record, or why it is refused."""
