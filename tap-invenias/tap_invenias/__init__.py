"""Singer tap for the Bullhorn Invenias executive-search CRM API."""
