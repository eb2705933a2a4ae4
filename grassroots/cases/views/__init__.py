"""Pages of the closed loop: ``public`` (resident report, track, rate) and ``staff``."""
