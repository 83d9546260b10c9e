"""Training and evaluating heads on labelled image folders with a frozen backbone."""
