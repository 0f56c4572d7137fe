"""Paired music and dance clips for pretraining, one module per source."""
