"""v1 contracts shared by every service: the one definition of each message."""
