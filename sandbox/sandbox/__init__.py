"""Local stand-ins of the vendor APIs the taps read, served over real HTTP."""
