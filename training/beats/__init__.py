"""The beat and downbeat tracker: its data, network, training and per-set evaluation."""
