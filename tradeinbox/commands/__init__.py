"""One module per ``tradeinbox`` sub-command; see :mod:`tradeinbox.cli`."""
