"""Galamedia (Pikiran Rakyat Media Network) news crawler."""
